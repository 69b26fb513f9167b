//! The Twilio dialer: places the Twilio calls of the backends Twilio carries (Ultravox's agent
//! and the engine's own pipeline behind `<Connect><Stream>`, speech-gather calls at the voice
//! URL), with the TwiML or voice URL the backend gives. Every call gets status callbacks for all
//! four events, async answering machine detection, the agent's max duration as its time limit
//! and a ring timeout, all pointed at the listener's public URL; and a dual-channel recording at
//! Twilio unless the engine records the call itself ([`RecordedBy::Engine`]: the pipeline hears
//! both parties, so a second recording would only cost money and race the first). The Twilio
//! client, calling number and public URL are those in force when the call is placed
//! ([`ProviderClients`](crate::ProviderClients)); the call is steered with that client for as long as this run has it.
//!
//! Twilio's status callbacks drive the call's states through the listener's inbox like any
//! provider's. Two callbacks are this dialer's to act on ([`TwilioNotice`]): a machine verdict
//! applies the voicemail policy the call was placed with (kept with the call, so a restart or an
//! edit of the agent since changes nothing: hang up, or redirect the call to say the message and
//! hang up) and ends the call as voicemail (a pipeline call's running session does both itself,
//! with the same words); a finished recording is fetched as WAV and kept.
//! Should every callback of a speech-gather or pipeline call be lost, the [reconciler](reconcile)
//! fetches the call from Twilio once it is overdue and ends it as the callback would have.

mod reconcile;
mod status;
mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use switchboard_core::{CallId, CallState, CallSummary};
use switchboard_providers::twilio::{
    CallInstructions, CreateCall, Dial, MachineDetection, MachineDetectionMode, Recording, RecordingCallback,
    RecordingChannels, RecordingStatus, Say, TwilioClient, TwimlResponse,
};
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::TWILIO_CALL_REF;
use super::placing::{CallPlacing, Placed, provider_error, record_placed_call, refused};
use super::reconcile::ReconcileSettings;
use crate::ProviderSet;
use switchboard_engine::LiveCalls;
use switchboard_engine::blocking;
use switchboard_engine::{
    BackendError, BackendEvent, CallReports, CallRequest, ENDED_BY_DISPATCHER, EngineError, TAKEN_OVER,
};
use switchboard_engine::{MACHINE_HUNG_UP_ON, VOICEMAIL_LEFT};
use switchboard_voice::PipelineSessions;

pub(crate) use status::{session_ends_call, status_change};
pub use webhooks::TWILIO_MEDIA_PATH;
pub(crate) use webhooks::{AMD, RECORDING, STATUS, twilio_body};

/// How long a call rings before Twilio gives up on it (`no-answer`).
pub const RING_TIMEOUT_SECS: u32 = 30;
/// What Twilio waits (`w` is half a second) once a call connects before keying in an extension.
const EXTENSION_WAIT: &str = "wwww";

/// A callback from Twilio that is the dialer's to act on rather than a state to apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TwilioNotice {
    /// Async AMD says a machine (or fax) answered.
    Machine,
    /// A recording's status.
    Recording(RecordingCallback),
}

/// Who records a dialled call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordedBy {
    /// Twilio records both channels and the dialer fetches the WAV when it is ready.
    Twilio,
    /// The engine records the media stream itself; Twilio is not asked to.
    Engine,
}

/// Where a dialer with a fixed client ([`TwilioDialer::new`]) calls from and where Twilio
/// reaches the listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioDialerSettings {
    /// The account's calling number (`twilio_from_number`), E.164.
    pub from_number: String,
    /// The listener's public base URL, without a trailing slash.
    pub public_base_url: String,
    /// When the reconciler looks for speech-gather and pipeline calls whose end never came.
    pub reconcile: ReconcileSettings,
}

/// Places Twilio calls and acts on their AMD verdicts and recordings.
#[derive(Clone)]
pub struct TwilioDialer {
    /// Where the Twilio client, the calling number and the public URL come from when a call is
    /// placed.
    placing: CallPlacing,
    /// The pipeline calls waiting for their media stream (shared with the pipeline backend and
    /// the listener), so a pipeline call's running session is left to end it.
    pipeline: PipelineSessions,
    /// The Twilio client each call was placed with and its Call SID, while it may still be
    /// steered: the call lives in that account whatever is saved since, and a fenced node hangs
    /// it up reading no store. Calls placed before a restart (or whose task has ended) are
    /// steered with the client in force, their SID read from the store.
    placed_with: Arc<Mutex<HashMap<CallId, PlacedWith>>>,
}

/// How this process placed a Twilio call.
#[derive(Clone)]
struct PlacedWith {
    client: TwilioClient,
    sid: String,
}

/// What one call is placed with: the Twilio client, calling number and public URL in force
/// when it was placed, taken together.
pub(crate) struct Calling {
    client: TwilioClient,
    from_number: String,
    public_base_url: String,
}

impl Calling {
    /// The listener's public URL as this call reaches it, without a trailing slash.
    pub(crate) fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    /// The listener's public URL for `path`, as this call reaches it.
    pub(crate) fn public_url(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }

    /// The Twilio client the call is placed (and steered) with.
    pub(crate) fn client(&self) -> &TwilioClient {
        &self.client
    }
}

impl TwilioDialer {
    /// A dialer calling with `client` from `settings`' number for good (see
    /// [`TwilioDialer::with_clients`]).
    pub fn new(client: TwilioClient, store: Arc<Store>, live: LiveCalls, settings: TwilioDialerSettings) -> Self {
        let reconcile = settings.reconcile;
        let hold = |set: &mut ProviderSet| {
            set.twilio = Some(client);
            set.from_number = Some(settings.from_number);
            set.public_base_url = settings.public_base_url.trim_end_matches('/').to_owned();
        };
        Self::with_clients(CallPlacing::fixed(hold, store, live, reconcile))
    }

    /// A dialer placing each call with the Twilio client, calling number and public URL in
    /// force at that moment.
    pub fn with_clients(placing: CallPlacing) -> Self {
        Self { placing, pipeline: PipelineSessions::default(), placed_with: Arc::default() }
    }

    /// Shares `sessions`, the registry the pipeline backend files its calls in: the reconciler
    /// ends a pipeline call that never got its media stream, and leaves one that did to its
    /// session.
    pub fn with_pipeline(mut self, sessions: PipelineSessions) -> Self {
        self.pipeline = sessions;
        self
    }

    /// The live calls this dialer files its calls' channels in.
    pub(crate) fn live(&self) -> &LiveCalls {
        &self.placing.live
    }

    /// Whether calls can be placed now: the Twilio account and the calling number are set.
    pub(crate) fn configured(&self) -> bool {
        let current = self.placing.clients.current();
        current.twilio.is_some() && current.from_number.is_some()
    }

    /// The Twilio client, calling number and public URL in force, for one call; refused (under
    /// `backend`'s name) when the account or the number is not set.
    pub(crate) fn calling(&self, backend: &'static str) -> Result<Calling, BackendError> {
        let current = self.placing.clients.current();
        let client = current.twilio.clone().ok_or_else(|| {
            refused(backend, "no Twilio account is set (its account SID and auth token, in Settings)")
        })?;
        let from_number = current
            .from_number
            .clone()
            .ok_or_else(|| refused(backend, "no Twilio calling number is set (Settings)"))?;
        Ok(Calling { client, from_number, public_base_url: current.public_base_url.clone() })
    }

    /// How long after its max duration a call placed here may still take to end: the reconciler
    /// gives up on it then, and the call task waits one reconciler pass longer.
    pub(crate) fn report_delay(&self) -> Duration {
        self.placing.report_delay()
    }

    /// The listener's public URL for `path`, as it is now.
    pub(crate) fn public_url(&self, path: &str) -> String {
        self.placing.clients.current().public_url(path)
    }

    /// Places the call for `request` with `calling`, running `instructions` once answered
    /// (TwiML, or the URL Twilio fetches it from), recorded by `recorded_by`; keeps the
    /// voicemail message with the call first (a machine's verdict, after a restart too, leaves
    /// the one the call was placed with), files its channel in [`LiveCalls`], places it, and
    /// records the Call SID as the provider call id, with `refs` (the caller's own provider ids) beside
    /// it; returns the Call SID. A 5xx or a timeout on placing it is not resent (the client
    /// knows): the call fails with it. `backend` names the caller in errors.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn dial(
        &self,
        calling: &Calling,
        request: &CallRequest,
        instructions: CallInstructions,
        recorded_by: RecordedBy,
        events: mpsc::Sender<BackendEvent>,
        backend: &'static str,
        mut refs: Vec<(&'static str, String)>,
    ) -> Result<String, BackendError> {
        let (store, id, voicemail) = (Arc::clone(&self.placing.store), request.call_id, request.voicemail.clone());
        blocking(move || store.set_voicemail_message(id, voicemail.as_deref()))
            .await
            .map_err(|error| refused(backend, &format!("the voicemail message could not be kept: {error}")))?;
        let call = create_call(calling, request, instructions, recorded_by);
        // Filed before Twilio is asked: its reports reach the task, the reconciler waits.
        self.placing.live.insert(request.call_id, events.clone());
        let placed = calling.client.create_call(&call).await.map_err(|error| provider_error(backend, error))?;
        {
            let mut placed_with = self.placed_with.lock().unwrap_or_else(PoisonError::into_inner);
            // Calls whose task has ended are steered no more.
            placed_with.retain(|id, _| self.placing.live.sender(*id).is_some());
            placed_with.insert(request.call_id, PlacedWith { client: calling.client.clone(), sid: placed.sid.clone() });
        }
        let sid = placed.sid;
        refs.push((TWILIO_CALL_REF, sid.clone()));
        let placed = Placed { provider_call_id: sid.clone(), refs, ringing: false };
        record_placed_call(backend, &self.placing.store, request.call_id, &events, placed).await?;
        Ok(sid)
    }

    /// Hangs up a call this dialer placed (for `backend`), when the dispatcher ends it: Twilio
    /// cuts the line, then the call ends as canceled, "ended by the dispatcher"; an end reported
    /// meanwhile (Twilio's `completed`) says so too, and the session's end comes too late.
    pub(crate) async fn hang_up(&self, backend: &'static str, call: CallId) -> Result<(), BackendError> {
        let client = self.client_for(call).ok_or_else(|| refused(backend, "no Twilio account is set"))?;
        let sid = self.sid_for(call);
        steer_twilio_call(&self.placing, &client, backend, call, sid, TwilioSteer::HangUp).await
    }

    /// Connects the callee of a call this dialer placed to `to` (the dispatcher's phone) with a
    /// `<Dial>`, leaving the agent; the call then ends as taken over.
    pub(crate) async fn take_over(&self, backend: &'static str, call: CallId, to: &str) -> Result<(), BackendError> {
        let client = self.client_for(call).ok_or_else(|| refused(backend, "no Twilio account is set"))?;
        let sid = self.sid_for(call);
        steer_twilio_call(&self.placing, &client, backend, call, sid, TwilioSteer::Dial(to.to_owned())).await
    }

    /// The Twilio client to steer or fetch `call` with: the one it was placed with, while this
    /// run placed it; else the one in force (`None` when no account is set).
    pub(crate) fn client_for(&self, call: CallId) -> Option<TwilioClient> {
        let placed_with = self.placed_with.lock().unwrap_or_else(PoisonError::into_inner).get(&call).cloned();
        placed_with.map(|placed| placed.client).or_else(|| self.placing.clients.current().twilio.clone())
    }

    /// The Call SID of `call`, while this run placed it and may still steer it.
    fn sid_for(&self, call: CallId) -> Option<String> {
        self.placed_with.lock().unwrap_or_else(PoisonError::into_inner).get(&call).map(|placed| placed.sid.clone())
    }

    /// Acts on `notice` about `call`.
    pub(crate) async fn apply(
        &self,
        reports: &CallReports,
        call: &CallSummary,
        notice: TwilioNotice,
    ) -> Result<(), EngineError> {
        match notice {
            TwilioNotice::Machine => self.machine_answered(reports, call).await,
            TwilioNotice::Recording(callback) => self.recording(reports, call, &callback).await,
        }
    }

    /// Applies the voicemail policy: the message said then a hang-up, or a hang-up; either way
    /// the call ends as voicemail.
    /// The message is the one kept with the call when it was placed, so an agent edited since
    /// (or a restart) changes nothing.
    async fn machine_answered(&self, reports: &CallReports, call: &CallSummary) -> Result<(), EngineError> {
        if call.state.is_terminal() {
            return Ok(());
        }
        let Some(sid) = self.call_sid(call).await? else {
            return Ok(());
        };
        let (store, id) = (Arc::clone(&self.placing.store), call.id);
        let voicemail = blocking(move || store.voicemail_message(id)).await?;
        let Some(client) = self.client_for(call.id) else {
            tracing::warn!(call = %call.id, "a machine answered, but no Twilio account is set to act on it");
            return Ok(());
        };
        let (done, reason) = match voicemail {
            Some(message) => (leave_message(&client, &sid, message).await, VOICEMAIL_LEFT),
            None => (client.hang_up(&sid).await.map(drop).map_err(|error| error.to_string()), MACHINE_HUNG_UP_ON),
        };
        let reason = match done {
            Ok(()) => reason.to_owned(),
            Err(error) => {
                tracing::warn!(call = %call.id, %error, "the voicemail policy could not be applied");
                format!("{reason} (Twilio refused: {error})")
            }
        };
        reports.deliver(call, vec![BackendEvent::Ended { state: CallState::Voicemail, reason }]).await
    }

    /// Fetches a completed recording as WAV and keeps it with the call.
    async fn recording(
        &self,
        reports: &CallReports,
        call: &CallSummary,
        callback: &RecordingCallback,
    ) -> Result<(), EngineError> {
        let (RecordingStatus::Completed, Some(url)) = (callback.recording_status, &callback.recording_url) else {
            return Ok(());
        };
        let Some(client) = self.client_for(call.id) else {
            tracing::warn!(call = %call.id, "a recording is ready, but no Twilio account is set to fetch it");
            return Ok(());
        };
        match client.fetch_recording(url).await {
            Ok(audio) => {
                let duration_ms = callback.recording_duration_secs.unwrap_or_default().saturating_mul(1000);
                reports.deliver(call, vec![BackendEvent::Recording { audio, extension: "wav", duration_ms }]).await
            }
            Err(error) => {
                tracing::warn!(call = %call.id, recording = callback.recording_sid, %error, "the recording could not be fetched");
                Ok(())
            }
        }
    }

    async fn call_sid(&self, call: &CallSummary) -> Result<Option<String>, EngineError> {
        let (store, id) = (Arc::clone(&self.placing.store), call.id);
        Ok(blocking(move || store.provider_facts(id)).await?.refs.remove(TWILIO_CALL_REF))
    }
}

/// Twilio's create-call request for `request` placed with `calling`.
fn create_call(
    calling: &Calling,
    request: &CallRequest,
    instructions: CallInstructions,
    recorded_by: RecordedBy,
) -> CreateCall {
    let mut call = CreateCall::new(&request.to, &calling.from_number, instructions);
    call.status_callback = Some(calling.public_url(STATUS.path));
    // Leaving a message waits for the beep; hanging up wants the verdict soonest.
    let mode = match request.voicemail {
        Some(_) => MachineDetectionMode::DetectMessageEnd,
        None => MachineDetectionMode::Enable,
    };
    call.machine_detection =
        Some(MachineDetection { mode, async_callback: Some(calling.public_url(AMD.path)), timeout_secs: None });
    if let Some(extension) = &request.extension {
        // Two seconds for the switchboard to pick up, then the extension. Twilio does not
        // detect machines on a call that sends digits, so none is asked for.
        call.send_digits = Some(format!("{EXTENSION_WAIT}{extension}"));
        call.machine_detection = None;
    }
    call.recording = (recorded_by == RecordedBy::Twilio).then(|| Recording {
        channels: RecordingChannels::Dual,
        status_callback: Some(calling.public_url(RECORDING.path)),
    });
    call.ring_timeout_secs = Some(RING_TIMEOUT_SECS);
    call.time_limit_secs = Some(request.agent.config.max_duration_secs);
    call
}

/// Why a call carried on Twilio cannot be ended or handed over while no Twilio account is set.
pub(crate) const NO_TWILIO: &str = "no Twilio account is set (its account SID and auth token, in Settings): the call is ended or handed over through it";

/// What the dispatcher has Twilio do with a call on the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TwilioSteer {
    /// `Status=completed`: the call ends "ended by the dispatcher".
    HangUp,
    /// A redirect to `<Dial>` this number: the call ends taken over by the dispatcher.
    Dial(String),
}

/// The Call SID Twilio carries `call` under (placed by the dialer, or by ElevenLabs).
async fn call_sid_of(placing: &CallPlacing, backend: &'static str, call: CallId) -> Result<String, BackendError> {
    let store = Arc::clone(&placing.store);
    blocking(move || store.provider_facts(call))
        .await
        .map_err(|error| refused(backend, &format!("the call's Twilio SID could not be read: {error}")))?
        .refs
        .remove(TWILIO_CALL_REF)
        .ok_or_else(|| refused(backend, "Twilio has not placed the call yet"))
}

/// Has Twilio (through `client`) hang up or hand over the Twilio call that carries `call` (its
/// Call SID when known, else read from the store), then ends the call for the dispatcher on its
/// channel. While a hang-up is under way an end reported for the call is the dispatcher's.
pub(crate) async fn steer_twilio_call(
    placing: &CallPlacing,
    client: &TwilioClient,
    backend: &'static str,
    call: CallId,
    sid: Option<String>,
    steer: TwilioSteer,
) -> Result<(), BackendError> {
    let sid = match sid {
        Some(sid) => sid,
        None => call_sid_of(placing, backend, call).await?,
    };
    let (state, reason) = match &steer {
        TwilioSteer::HangUp => (CallState::Canceled, ENDED_BY_DISPATCHER),
        TwilioSteer::Dial(_) => (CallState::Completed, TAKEN_OVER),
    };
    let hanging_up = steer == TwilioSteer::HangUp;
    if hanging_up {
        placing.live.set_ending(call, true);
    }
    let done = match &steer {
        TwilioSteer::HangUp => client.hang_up(&sid).await.map(drop).map_err(|error| provider_error(backend, error)),
        TwilioSteer::Dial(to) => match TwimlResponse::new().dial(Dial::number(to.clone())).render() {
            Ok(twiml) => client.redirect(&sid, &twiml).await.map(drop).map_err(|error| provider_error(backend, error)),
            Err(error) => Err(refused(backend, &format!("the number {to} does not fit in TwiML: {error}"))),
        },
    };
    if let Err(error) = done {
        if hanging_up {
            placing.live.set_ending(call, false);
        }
        return Err(error);
    }
    if let Some(events) = placing.live.sender(call) {
        let _ = events.send(BackendEvent::Ended { state, reason: reason.to_owned() }).await;
    }
    Ok(())
}

/// Redirects the call `sid` to say `message`, then hang up.
pub(crate) async fn leave_message(client: &TwilioClient, sid: &str, message: String) -> Result<(), String> {
    match TwimlResponse::new().say(Say::new(message)).hangup().render() {
        Ok(twiml) => client.redirect(sid, &twiml).await.map(drop).map_err(|error| error.to_string()),
        Err(error) => Err(format!("the voicemail message is not valid TwiML: {error}")),
    }
}
