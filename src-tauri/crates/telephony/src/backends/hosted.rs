//! The hosted backends' one skeleton: a [`HostedProvider`] (ElevenLabs, Vapi, Ultravox) says how
//! its calls are placed, fetched and read; [`HostedBackend`] does the rest for each alike.
//!
//! How a call's report meets its call task: `start` places the call with the provider's client
//! in force, sends `Ringing` when the provider says nothing sooner, and files the call's event
//! channel in the shared [`LiveCalls`](switchboard_engine::LiveCalls) before recording the
//! provider's ids (so a webhook can only find the call once its channel is filed). The call
//! task then waits on that channel as for any backend. The provider's report, from its webhook
//! (through the listener's inbox) or fetched once overdue (through the [reconciler](reconcile)),
//! becomes backend events that [`CallReports`] sends down the filed channel, or applies through
//! a call task built for it when none listens (it closed the call as lost, or the app restarted).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use switchboard_core::{AgentConfig, BackendKind, CallId, CallSummary, ControlAction};
use switchboard_providers::ProviderError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::placing::{CallPlacing, Placed, record_placed_call, refused};
use super::reconcile::{self, Due, Fetched, Reconciled, Reconciler, known};
use super::report::FinishedCall;
use super::webhook::Webhook;
use crate::ProviderSet;
use switchboard_engine::blocking;
use switchboard_engine::{
    BackendError, BackendEvent, BoxFuture, CallBackend, CallCommand, CallReports, CallRequest, EngineError, cannot,
};

/// What placing a call at a provider did.
pub enum Taken {
    /// The provider took the call: the backend files its channel and records these ids.
    Placed(Placed),
    /// The carrier that dialled it filed the call itself (Ultravox's, through the Twilio dialer).
    Filed,
}

/// One hosted provider: the facts and the calls that differ between providers. Everything else
/// (when a call is configured, filed, reconciled or given up on) is [`HostedBackend`]'s.
pub trait HostedProvider: Clone + Send + Sync + 'static {
    /// The provider's API client.
    type Client: Clone + Send + Sync + 'static;
    /// The provider's record of a call, as fetched (kept as JSON with the call).
    type Call: Serialize + Send + Sync;

    const KIND: BackendKind;
    /// The backend's name in errors and the log.
    const NAME: &'static str;
    /// The provider ref under which the provider's id of a call is kept, and fetched by.
    const CALL_REF: &'static str;
    /// What the provider calls a call ("conversation"), for the reason a call it does not know
    /// is lost.
    const CALL_NOUN: &'static str;
    /// Why a call whose provider id was never recorded is lost.
    const NO_ID: &'static str;
    /// Why a call the provider never finishes is lost.
    const NEVER_ENDED: &'static str;
    /// The provider's webhook: where the listener takes it, how it is verified and read.
    const WEBHOOK: Webhook;

    /// The provider's client in `set`, when its key is set.
    fn client(&self, set: &ProviderSet) -> Option<Self::Client>;

    /// Whether calls can be placed with `set`: the provider's key is set (and whatever else the
    /// provider needs).
    fn configured(&self, set: &ProviderSet) -> bool {
        self.client(set).is_some()
    }

    /// Places the call for `request` with `client` (or why there is none: the provider takes it
    /// once it has checked the request, so an agent's own mistake is named first); `events` is
    /// the call's channel, for a carrier that files the call itself.
    fn place(
        &self,
        client: Result<Self::Client, BackendError>,
        request: &CallRequest,
        events: &mpsc::Sender<BackendEvent>,
    ) -> impl Future<Output = Result<Taken, BackendError>> + Send;

    /// The provider's record of the call it knows by `id`.
    fn fetch_call(client: &Self::Client, id: &str) -> impl Future<Output = Result<Self::Call, ProviderError>> + Send;

    /// Whether the provider has finished with `call` (its report is final).
    fn has_ended(call: &Self::Call) -> bool;

    /// The finished `call` read as a finished call (fetching what else it needs with `client`);
    /// `record` is `call` as JSON.
    fn finished_call(
        client: &Self::Client,
        call: &Self::Call,
        record: String,
    ) -> impl Future<Output = FinishedCall> + Send;

    /// The provider's side of saving an agent (see [`CallBackend::sync_agent`]); by default the
    /// provider keeps no copy.
    fn sync_agent(
        &self,
        previous: Option<AgentConfig>,
        config: AgentConfig,
    ) -> BoxFuture<'static, Result<AgentConfig, BackendError>> {
        let _ = previous;
        Box::pin(async move { Ok(config) })
    }

    /// Whether the dispatcher can do `action` to the provider's calls with `set` (see
    /// [`CallBackend::can`]); by default nothing.
    fn can(&self, set: &ProviderSet, action: ControlAction) -> Result<(), String> {
        let _ = set;
        Err(cannot(Self::KIND, action))
    }

    /// Carries out the dispatcher's `command` on `call`, placed with `placing` (see
    /// [`CallBackend::control`]); by default the provider cannot.
    fn control(
        &self,
        placing: &CallPlacing,
        call: CallId,
        command: CallCommand,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let _ = (placing, call);
        Box::pin(async move { Err(refused(Self::NAME, &cannot(Self::KIND, command.action()))) })
    }
}

/// Places calls with a hosted provider `P` and reconciles those whose report never came.
#[derive(Clone)]
pub struct HostedBackend<P> {
    provider: P,
    placing: CallPlacing,
}

impl<P: HostedProvider> HostedBackend<P> {
    /// A backend placing calls with `provider`, with the clients `placing` holds when each call is
    /// placed.
    pub fn hosting(provider: P, placing: CallPlacing) -> Self {
        Self { provider, placing }
    }

    /// The provider's client in force, when its key is set.
    pub fn client(&self) -> Option<P::Client> {
        self.provider.client(&self.placing.clients.current())
    }

    /// Checks open calls every [`ReconcileSettings::every`](crate::backends::ReconcileSettings).
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        reconcile::spawn_reconciler(self, reports)
    }

    /// One pass: applies every overdue call the provider reports finished, and closes the calls
    /// it never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        reconcile::reconcile(self, reports).await
    }

    /// Fetches `call` from the provider and, once the provider says it ended, applies it.
    /// Returns whether it had ended. Nothing is applied from the webhook that prompted it.
    pub(crate) async fn report_end(&self, reports: &CallReports, call: &CallSummary) -> Result<bool, EngineError> {
        let (store, id) = (Arc::clone(&self.placing.store), call.id);
        let Some(provider_id) = blocking(move || store.provider_facts(id)).await?.refs.remove(P::CALL_REF) else {
            return Ok(false);
        };
        let Some(client) = self.client() else {
            tracing::warn!(call = %call.id, provider = P::NAME, "a call ended, but no API key is set to fetch it");
            return Ok(false);
        };
        match P::fetch_call(&client, &provider_id).await {
            Ok(fetched) if P::has_ended(&fetched) => {
                finished::<P>(&client, &fetched).await?.deliver(reports, call).await?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(error) => {
                // The reconciler fetches it again once the call is overdue.
                tracing::warn!(call = %call.id, provider = P::NAME, %error, "an ended call could not be fetched");
                Ok(false)
            }
        }
    }

    async fn place(&self, request: CallRequest, events: mpsc::Sender<BackendEvent>) -> Result<(), BackendError> {
        let no_key = || refused(P::NAME, &format!("no {} API key is set", P::NAME));
        let client = self.client().ok_or_else(no_key);
        // Filed before the provider is asked: its reports reach the task, the reconciler waits.
        self.placing.live.insert(request.call_id, events.clone());
        match self.provider.place(client, &request, &events).await? {
            Taken::Placed(placed) => {
                record_placed_call(P::NAME, &self.placing.store, request.call_id, &events, placed).await
            }
            Taken::Filed => Ok(()),
        }
    }
}

/// The finished `call` with its record.
async fn finished<P: HostedProvider>(client: &P::Client, call: &P::Call) -> Result<FinishedCall, EngineError> {
    let record = serde_json::to_string(call)
        .map_err(|error| EngineError::InvalidRequest(format!("{}'s call cannot be kept: {error}", P::NAME)))?;
    Ok(P::finished_call(client, call, record).await)
}

impl<P: HostedProvider> CallBackend for HostedBackend<P> {
    fn kind(&self) -> BackendKind {
        P::KIND
    }

    fn configured(&self) -> bool {
        self.provider.configured(&self.placing.clients.current())
    }

    /// The reconciler closes a call the provider has not finished `give_up` past its max
    /// duration; the call task waits one reconciler pass longer, for when the provider cannot
    /// be reached at all.
    fn report_delay(&self) -> Duration {
        self.placing.report_delay()
    }

    /// The provider runs the call on; its webhook or the reconciler ends it.
    fn keeps_calls_across_restarts(&self) -> bool {
        true
    }

    fn sync_agent(
        &self,
        previous: Option<AgentConfig>,
        config: AgentConfig,
    ) -> BoxFuture<'static, Result<AgentConfig, BackendError>> {
        self.provider.sync_agent(previous, config)
    }

    fn can(&self, action: ControlAction) -> Result<(), String> {
        self.provider.can(&self.placing.clients.current(), action)
    }

    fn hang_up(&self, call: CallId) -> BoxFuture<'static, Result<(), BackendError>> {
        self.provider.control(&self.placing, call, CallCommand::End)
    }

    fn control(&self, call: CallId, command: CallCommand) -> BoxFuture<'static, Result<(), BackendError>> {
        self.provider.control(&self.placing, call, command)
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move { backend.place(request, events).await })
    }
}

impl<P: HostedProvider> Reconciler for HostedBackend<P> {
    type Asking = P::Client;

    const RECONCILED: Reconciled = Reconciled {
        provider: P::NAME,
        kinds: &[P::KIND],
        id_ref: P::CALL_REF,
        no_id: P::NO_ID,
        never_ended: P::NEVER_ENDED,
    };

    fn settings(&self) -> &crate::backends::ReconcileSettings {
        &self.placing.reconcile
    }

    fn asking(&self) -> Option<P::Client> {
        self.client()
    }

    async fn fetch(&self, client: &P::Client, Due { provider_id, .. }: Due) -> Result<Fetched, EngineError> {
        let lost = || format!("{} has no {} {provider_id}", P::NAME, P::CALL_NOUN);
        let call = match known(P::fetch_call(client, &provider_id).await, lost) {
            Ok(call) => call,
            Err(fetched) => return Ok(fetched),
        };
        if !P::has_ended(&call) {
            return Ok(Fetched::Running);
        }
        Ok(Fetched::Finished(finished::<P>(client, &call).await?))
    }
}

#[cfg(test)]
mod tests;
