//! The engine's front door: validates a call request, stores the call, hands it to its backend
//! and starts the task that drives it to a terminal state.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use switchboard_core::{
    Agent, AgentId, BackendKind, CallId, CallState, CallSummary, Contact, ContactId, QuoteRequest, RehearsalMode,
    UnixMillis, Variables, VoicemailPolicy, parse_phone, render,
};
use switchboard_store::{Lease, NewCall, Store};
use tokio::sync::mpsc;

use crate::blocking::blocking;
use crate::call_task::{CallTask, apply_state};
use crate::campaigns::{CampaignSpec, spawn_runner};
use crate::costs::{check_call_limit, cost_settings, priced_as, pricing};
use crate::fence::{LastBeat, hang_up_fenced};
use crate::history::{Recordings, contact_memory, memory_calls};
use crate::placed_calls::PlacedCalls;
use crate::rehearsal::{Judge, Rehearser};
use crate::relay::Relay;
use crate::settings::default_region;
use crate::variables::call_variables;
use crate::{
    AudioBrake, BackendError, BackendEvent, CallBackend, CallRequest, EngineError, EngineEvent, EventBus, LiveAudio,
    StoreWrites, now,
};

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// How long past an agent's max duration a call may stay silent before it is closed as lost.
    pub lost_call_grace: Duration,
    /// Campaign calls on the line at once, across all campaigns (single calls are not held back).
    pub max_campaign_calls: usize,
    /// Where call recordings are kept; `None` keeps none (audio backends send is dropped).
    pub recordings_dir: Option<PathBuf>,
    /// Who this engine is when it leases campaign targets: by default this process (its id and
    /// start time), so engines of two processes never share leases.
    pub lease_owner: String,
    /// How long a target's lease holds unless the runner that reserved it renews it.
    pub lease_ttl: Duration,
    /// Places every call on this backend instead of its agent's (the command line's
    /// `--backend`); `None` uses each agent's.
    pub backend_override: Option<BackendKind>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            lost_call_grace: Duration::from_secs(30),
            max_campaign_calls: 50,
            recordings_dir: None,
            lease_owner: process_lease_owner().to_owned(),
            lease_ttl: Duration::from_secs(30),
            backend_override: None,
        }
    }
}

/// This process as a lease owner: "pid N since T" (T in ms since the epoch, so a later process
/// given the same id is another owner).
fn process_lease_owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| format!("pid {} since {}", std::process::id(), now().0))
}

/// Why a call cut off by the app closing ended (it then gives its campaign attempt back).
pub const CLOSED_WHILE_LIVE: &str = "Switchboard was closed while the call was live; it could not be resumed";

/// What to call: a contact with an agent, plus variables the caller supplies (a campaign's
/// negotiation context), the campaign, round and attempt the call belongs to, and the slot it
/// holds under the overall campaign-call limit.
#[derive(Debug)]
pub struct CallPlan {
    pub contact_id: ContactId,
    pub agent_id: AgentId,
    pub extra: Variables,
    pub campaign: Option<(i64, u8, u32)>,
    pub slot: Option<CallSlot>,
}

/// The variable holding the summary of past calls with the contact; an agent whose prompt does
/// not place it gets it appended to its system prompt.
const PAST_CALLS: &str = "past_calls";

/// An agent's texts for a call to a contact, as its backend is given them.
pub(crate) struct RenderedCall {
    pub(crate) system_prompt: String,
    pub(crate) first_message: String,
    pub(crate) voicemail: Option<String>,
    pub(crate) variables: Variables,
}

/// Fills in `agent`'s texts for a call to `contact`: the contact's and agent's variables, then
/// `extra` (a campaign's), and `memory` (the summary of past calls, appended to a prompt that
/// does not place it). Refuses when a text needs a variable nobody supplies.
pub(crate) fn render_call(
    agent: &Agent,
    contact: &Contact,
    extra: Variables,
    memory: &str,
) -> Result<RenderedCall, EngineError> {
    let mut variables = call_variables(agent, contact);
    variables.extend(extra);
    variables.insert(PAST_CALLS.to_owned(), memory.to_owned());
    let missing = |missing| EngineError::MissingVariables { agent: agent.config.name.clone(), missing };
    let mut system_prompt = render(&agent.config.system_prompt, &variables).map_err(missing)?;
    if !memory.is_empty() && !agent.config.system_prompt.contains(PAST_CALLS) {
        system_prompt.push_str(&format!("\n\nEarlier calls with {}:\n{memory}", contact.fields.name));
    }
    let first_message = render(&agent.config.first_message, &variables).map_err(missing)?;
    let voicemail = match &agent.config.voicemail {
        VoicemailPolicy::LeaveMessage { text } => Some(render(text, &variables).map_err(missing)?),
        VoicemailPolicy::HangUp => None,
    };
    Ok(RenderedCall { system_prompt, first_message, voicemail, variables })
}

/// The call engine.
pub struct Engine {
    store: Arc<Store>,
    bus: EventBus,
    backends: HashMap<BackendKind, Arc<dyn CallBackend>>,
    settings: EngineSettings,
    /// Campaign calls not yet ended, for the overall limit.
    campaign_calls: Arc<AtomicUsize>,
    /// Live calls' audio, for listening in.
    live_audio: LiveAudio,
    /// Holds new campaign calls while the agents' audio falls behind.
    audio_brake: AudioBrake,
    /// Calls the dispatcher asked to end, so each is hung up once.
    hung_up: Mutex<HashSet<CallId>>,
    /// Store writes retried while they fail; campaigns start no new call meanwhile.
    store_writes: StoreWrites,
    /// Set when the process is stopping: campaign runners start no new call and end.
    stopping: AtomicBool,
    /// Campaign runners running in this engine.
    runners: Arc<AtomicUsize>,
    /// The campaigns this engine runs a runner of (one each).
    campaigns_run: Arc<Mutex<HashSet<i64>>>,
    /// Calls this engine placed whose task has not ended yet.
    calls_on_line: Arc<AtomicUsize>,
    /// Those calls (and those being placed) with the backend that placed each and its task.
    placed_calls: Arc<PlacedCalls>,
    /// When this node's last heartbeat reached the shared database.
    pub(crate) last_beat: LastBeat,
    /// The ways of rehearsing agents, by mode.
    pub(crate) rehearsers: HashMap<RehearsalMode, Arc<dyn Rehearser>>,
    /// The model judge of rehearsals' free-text expectations, when there is one.
    pub(crate) judge: Option<Arc<dyn Judge>>,
    /// This node's events relayed to the other nodes of its shared database, and theirs to its bus.
    pub(crate) relay: Option<Relay>,
}

impl Engine {
    /// An engine over `store` with no backends yet.
    pub fn new(store: Arc<Store>, settings: EngineSettings) -> Self {
        let bus = EventBus::new(1024);
        Self {
            store_writes: StoreWrites::new(Arc::clone(&store), bus.clone()),
            store,
            bus,
            backends: HashMap::new(),
            settings,
            campaign_calls: Arc::default(),
            live_audio: LiveAudio::default(),
            audio_brake: AudioBrake::default(),
            hung_up: Mutex::default(),
            stopping: AtomicBool::new(false),
            runners: Arc::default(),
            campaigns_run: Arc::default(),
            calls_on_line: Arc::default(),
            placed_calls: Arc::default(),
            last_beat: LastBeat::default(),
            rehearsers: HashMap::new(),
            judge: None,
            relay: None,
        }
    }

    /// Stops starting calls for campaigns: each runner ends at its next step, leaving its
    /// campaign as it is in the store (the next start resumes it). Calls on the line go on.
    pub fn stop_new_calls(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Whether [`Engine::stop_new_calls`] was called.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// How many calls this engine placed are on the line (placed and not ended yet).
    pub fn calls_on_line(&self) -> usize {
        self.calls_on_line.load(Ordering::Acquire)
    }

    /// The calls this engine placed that are on the line, by backend.
    pub(crate) fn placed_calls(&self) -> &PlacedCalls {
        &self.placed_calls
    }

    /// Whether a campaign runner or a call this engine placed still runs.
    pub fn busy(&self) -> bool {
        self.runners.load(Ordering::Acquire) > 0 || self.calls_on_line.load(Ordering::Acquire) > 0
    }

    /// Counts campaign `id`'s runner until the guard is dropped; `None` when this engine runs
    /// one for it already.
    pub(crate) fn runner_running(&self, id: i64) -> Option<(Running, CampaignRun)> {
        if !self.campaigns_run.lock().unwrap_or_else(PoisonError::into_inner).insert(id) {
            return None;
        }
        Some((Running::count(&self.runners), CampaignRun { id, run: Arc::clone(&self.campaigns_run) }))
    }

    /// The backends whose calls their provider runs on without this process (a node that
    /// stops leaves those calls open for their report).
    pub(crate) fn kept_backends(&self) -> Vec<&'static str> {
        let mut kept: Vec<_> = self
            .backends
            .iter()
            .filter(|(_, backend)| backend.keeps_calls_across_restarts())
            .map(|(kind, _)| kind.as_str())
            .collect();
        kept.sort_unstable();
        kept
    }

    /// A lease on campaign targets for this engine, from now for the lease's time.
    pub(crate) fn lease(&self) -> Lease<'_> {
        let clock = now();
        let ttl = i64::try_from(self.settings.lease_ttl.as_millis()).unwrap_or(i64::MAX);
        Lease { owner: &self.settings.lease_owner, now: clock, until: UnixMillis(clock.0.saturating_add(ttl)) }
    }

    /// Leases campaign targets as `owner` from now on (a node of a shared database).
    pub(crate) fn lease_as(&mut self, owner: String) {
        self.settings.lease_owner = owner;
    }

    /// The most campaign calls this engine has on the line at once.
    pub(crate) fn max_campaign_calls(&self) -> usize {
        self.settings.max_campaign_calls.max(1)
    }

    /// How long a lease holds; runners renew theirs well within it.
    pub(crate) fn lease_ttl(&self) -> Duration {
        self.settings.lease_ttl
    }

    /// Ends `call` on the line through its backend, once: a second request for it is `Ok(false)`.
    pub(crate) async fn hang_up(&self, call: &CallSummary) -> Result<bool, BackendError> {
        if !self.hung_up.lock().unwrap_or_else(PoisonError::into_inner).insert(call.id) {
            return Ok(false);
        }
        let backend = self.backend(call.backend).ok_or_else(|| BackendError {
            backend: call.backend.as_str().to_owned(),
            message: "this backend does not run in this process".to_owned(),
        })?;
        let hung_up = backend.hang_up(call.id).await;
        if hung_up.is_err() {
            // Not ended: a later request may try again.
            self.hung_up.lock().unwrap_or_else(PoisonError::into_inner).remove(&call.id);
        }
        hung_up.map(|()| true)
    }

    /// The brake on new campaign calls, applied when the agents' audio falls behind.
    pub fn audio_brake(&self) -> &AudioBrake {
        &self.audio_brake
    }

    /// The store's writes, and whether they fail now.
    pub fn store_writes(&self) -> &StoreWrites {
        &self.store_writes
    }

    /// Makes a backend available to agents configured for it.
    pub fn register_backend(&mut self, backend: Arc<dyn CallBackend>) {
        self.backends.insert(backend.kind(), backend);
    }

    /// Makes a rehearsal mode available.
    pub fn register_rehearser(&mut self, rehearser: Arc<dyn Rehearser>) {
        self.rehearsers.insert(rehearser.mode(), rehearser);
    }

    /// Sets the model judge of rehearsals' free-text expectations.
    pub fn register_judge(&mut self, judge: Arc<dyn Judge>) {
        self.judge = Some(judge);
    }

    /// The backend an agent on `agent_backend` has its calls placed on (the command line's
    /// `--backend` wins).
    pub(crate) fn call_backend(&self, agent_backend: BackendKind) -> BackendKind {
        self.settings.backend_override.unwrap_or(agent_backend)
    }

    /// The backend registered for `kind`.
    pub(crate) fn backend(&self, kind: BackendKind) -> Option<Arc<dyn CallBackend>> {
        self.backends.get(&kind).cloned()
    }

    /// The backends that can place calls now (registered, with their keys and settings set).
    pub fn available_backends(&self) -> Vec<BackendKind> {
        let mut kinds: Vec<_> =
            self.backends.iter().filter(|(_, backend)| backend.configured()).map(|(kind, _)| *kind).collect();
        kinds.sort_by_key(|kind| *kind as u8);
        kinds
    }

    /// The store, for queries.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Takes a place under the overall campaign-call limit, or `None` when it is full. The
    /// place is given back when the call ends (or when the slot is dropped unused).
    pub fn campaign_call_slot(&self) -> Option<CallSlot> {
        let limit = self.max_campaign_calls();
        let taken =
            self.campaign_calls.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1));
        taken.ok().map(|_| CallSlot(Arc::clone(&self.campaign_calls)))
    }

    /// Where recordings are kept, when they are.
    pub fn recordings(&self) -> Option<Recordings> {
        self.settings.recordings_dir.clone().map(Recordings::new)
    }

    /// Live calls' audio: the pipeline and monitor forks publish to it, listeners subscribe.
    pub fn live_audio(&self) -> &LiveAudio {
        &self.live_audio
    }

    /// The event bus, to listen to committed changes.
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Places a single call to `contact_id` with `agent_id`.
    pub async fn start_call(&self, contact_id: ContactId, agent_id: AgentId) -> Result<CallSummary, EngineError> {
        self.place_call(CallPlan { contact_id, agent_id, extra: Variables::new(), campaign: None, slot: None }).await
    }

    /// Places a single quote call to `contact_id` with `agent_id`, asking for `request` (a call
    /// outside a campaign has no request of its own to fill the agent's variables).
    pub async fn start_quote_call(
        &self,
        contact_id: ContactId,
        agent_id: AgentId,
        request: &QuoteRequest,
    ) -> Result<CallSummary, EngineError> {
        let extra = request.variables();
        self.place_call(CallPlan { contact_id, agent_id, extra, campaign: None, slot: None }).await
    }

    /// Places a call. Refuses, storing nothing, when the contact is on the do-not-call list, its
    /// number cannot be dialled, or the agent's templates need a variable nobody supplies.
    pub async fn place_call(&self, plan: CallPlan) -> Result<CallSummary, EngineError> {
        let CallPlan { contact_id, agent_id, extra, campaign, slot } = plan;
        // Everything the call is planned from, read in one trip to the blocking pool.
        let store = Arc::clone(&self.store);
        let (contact, agent, region, memory, costs) = blocking(move || {
            let contact = store.contact(contact_id)?.ok_or(EngineError::ContactNotFound(contact_id))?;
            let agent = store.agent(agent_id)?.ok_or(EngineError::AgentNotFound(agent_id))?;
            let memory = contact_memory(&store, contact_id, memory_calls(&store)?)?;
            Ok::<_, EngineError>((contact, agent, default_region(&store)?, memory, cost_settings(&store)?))
        })
        .await?;
        if contact.fields.do_not_call {
            return Err(EngineError::DoNotCall { contact: contact.fields.name.clone() });
        }
        let phone = parse_phone(&contact.fields.phone, &region)
            .map_err(|reason| EngineError::InvalidPhone { contact: contact.fields.name.clone(), reason })?;
        let RenderedCall { system_prompt, first_message, voicemail, variables: vars } =
            render_call(&agent, &contact, extra, &memory)?;
        let attempt = campaign.map_or(1, |(_, _, attempt)| attempt);
        let mut agent = agent;
        let chosen = agent.config.backend;
        agent.config.backend = self.call_backend(chosen);
        let backend = Arc::clone(
            self.backends
                .get(&agent.config.backend)
                .filter(|backend| backend.configured())
                .ok_or(EngineError::BackendUnavailable(agent.config.backend))?,
        );
        let priced_as = priced_as(agent.config.backend, chosen);
        check_call_limit(&costs, &agent.config, priced_as, &contact.fields.name)?;
        let pricing = pricing(agent.config.backend, priced_as, &agent.config, costs.rates);

        let new_call = NewCall {
            contact_id,
            agent_id,
            backend: agent.config.backend,
            phone_e164: phone.e164.clone(),
            created_at: now(),
            campaign,
        };
        let store = Arc::clone(&self.store);
        let call = blocking(move || store.insert_call(&new_call)).await?;
        self.bus.publish(EngineEvent::CallUpdated { call: call.clone() });
        tracing::info!(call = %call.id, contact = %contact.fields.name, agent = %agent.config.name, "call queued");

        let deadline = Duration::from_secs(u64::from(agent.config.max_duration_secs))
            + backend.report_delay()
            + self.settings.lost_call_grace;
        let request = CallRequest {
            call_id: call.id,
            to: phone.e164,
            extension: phone.extension,
            agent,
            contact,
            system_prompt,
            first_message,
            voicemail,
            attempt,
            variables: vars,
            recording_dir: self.settings.recordings_dir.clone(),
        };
        let (events, receiver) = mpsc::channel::<BackendEvent>(64);
        let task =
            CallTask::new(Arc::clone(&self.store), self.bus.clone(), &call, slot, self.recordings()).priced(pricing);
        apply_state(&self.store_writes, &self.bus, call.id, CallState::Dialing, None).await?;
        // A fenced node places no call: the node that ends it closes this one.
        let mut placing = self.placed_calls.placing(call.id, Arc::clone(&backend)).ok_or(EngineError::ShuttingDown)?;
        if let Err(err) = backend.start(request, events).await {
            tracing::warn!(call = %call.id, error = %err, "backend refused the call");
            apply_state(&self.store_writes, &self.bus, call.id, CallState::Failed, Some(err.to_string())).await?;
            return Err(err.into());
        }
        let (on_line, placed, id) = (Running::count(&self.calls_on_line), Arc::clone(&self.placed_calls), call.id);
        let running = tokio::spawn(async move {
            task.run(receiver, deadline).await;
            placed.ended(id);
            drop(on_line);
        });
        if let Some(fenced) = placing.placed(running.abort_handle()) {
            // Fenced while the backend placed it: hung up like the others, before the fence's end.
            let until = self.placed_calls.fenced_until().unwrap_or_else(tokio::time::Instant::now);
            hang_up_fenced(fenced, until).await;
            return Err(EngineError::ShuttingDown);
        }
        drop(placing);
        let store = Arc::clone(&self.store);
        let id = call.id;
        Ok(blocking(move || store.call(id)).await?.unwrap_or(call))
    }

    /// Stores and starts a campaign; returns its id. Contacts are called in round 1 by the
    /// spec's agent; refusals (do-not-call, bad numbers, missing variables) are recorded per
    /// contact and do not stop the campaign.
    pub async fn launch_campaign(self: &Arc<Self>, spec: CampaignSpec) -> Result<i64, EngineError> {
        let store = Arc::clone(&self.store);
        let check = spec.clone();
        blocking(move || {
            for agent in std::iter::once(check.agent_id).chain(check.negotiation_agent_id) {
                store.agent(agent)?.ok_or(EngineError::AgentNotFound(agent))?;
            }
            Ok::<_, EngineError>(())
        })
        .await?;
        let store = Arc::clone(&self.store);
        let json =
            serde_json::to_string(&spec).map_err(|err| switchboard_store::StoreError::Corrupt(err.to_string()))?;
        let (name, kind, contacts) = (spec.name.clone(), spec.kind.as_str(), spec.contacts.clone());
        let id = blocking(move || store.insert_campaign(&name, kind, &json, &contacts, now())).await?;
        tracing::info!(campaign = id, contacts = spec.contacts.len(), "campaign launched");
        self.bus.publish(EngineEvent::CampaignUpdated { campaign_id: id, status: "running".into(), round: 1 });
        spawn_runner(Arc::clone(self), id);
        Ok(id)
    }

    /// Starts the runners of unfinished campaigns (running or paused when the app stopped, or
    /// launched by another node) that this engine does not run yet; returns how many it started.
    pub async fn resume_campaigns(self: &Arc<Self>) -> Result<usize, EngineError> {
        let store = Arc::clone(&self.store);
        let unfinished = blocking(move || store.unfinished_campaigns()).await?;
        let mut started = 0;
        for campaign in &unfinished {
            if spawn_runner(Arc::clone(self), campaign.id) {
                tracing::info!(campaign = campaign.id, round = campaign.round, "resuming campaign");
                started += 1;
            }
        }
        Ok(started)
    }

    /// Closes the calls a previous run of the app left open (call it holding the profile, so
    /// no live process has calls): their backend connection is gone, so each is ended as lost
    /// with that reason, except those of a backend whose provider runs them on and reports them
    /// later, and those of a backend not registered here (left to a process that runs it). A
    /// campaign call closed so gives its target's attempt back: the callee did nothing wrong.
    /// Returns how many were closed.
    pub async fn close_abandoned_calls(&self) -> Result<usize, EngineError> {
        let store = Arc::clone(&self.store);
        let open: Vec<CallSummary> = blocking(move || {
            let ids = store.open_calls()?;
            ids.into_iter().filter_map(|id| store.call(id).transpose()).collect::<Result<Vec<_>, _>>()
        })
        .await?;
        let mut closed = 0;
        for call in &open {
            let Some(backend) = self.backends.get(&call.backend) else {
                tracing::info!(call = %call.id, backend = call.backend.as_str(), "left open: its backend does not run here");
                continue;
            };
            if backend.configured() && backend.keeps_calls_across_restarts() {
                tracing::info!(call = %call.id, backend = call.backend.as_str(), "left open for its provider's report");
                continue;
            }
            // The target first: should the app stop in between, the call is closed next time and
            // the attempt given back once.
            let (store, id) = (Arc::clone(&self.store), call.id);
            blocking(move || store.target_requeue_abandoned(id, "cut off when Switchboard closed; calling again"))
                .await?;
            apply_state(&self.store_writes, &self.bus, call.id, CallState::Lost, Some(CLOSED_WHILE_LIVE.to_owned()))
                .await?;
            closed += 1;
        }
        if closed > 0 {
            tracing::warn!(count = closed, "closed calls left open by the previous run");
        }
        Ok(closed)
    }
}

/// One task counted while it runs (a campaign runner, a call's task); uncounted when dropped.
pub(crate) struct Running(Arc<AtomicUsize>);

impl Running {
    fn count(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(counter))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Campaign `id` marked as run by this engine until dropped.
pub(crate) struct CampaignRun {
    id: i64,
    run: Arc<Mutex<HashSet<i64>>>,
}

impl Drop for CampaignRun {
    fn drop(&mut self) {
        self.run.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.id);
    }
}

/// One campaign call counted against the overall limit, released when dropped (when the call
/// task ends, however it ends).
#[derive(Debug)]
pub struct CallSlot(Arc<AtomicUsize>);

impl Drop for CallSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
