//! The Ultravox backend: an Ultravox agent (kept in sync with the local one) runs the
//! conversation, and the [Twilio dialer](super::twilio) bridges the callee to it with
//! `<Connect><Stream url="{joinUrl}"/>`.
//!
//! A call: `create_agent_call` (the call's variables as `templateContext`, our call id in the
//! metadata, the agent's max duration) gives the `joinUrl`; the dialer places the Twilio call,
//! files the call's channel and records the Call SID as the provider call id, next to the
//! Ultravox call id ([`ULTRAVOX_CALL_REF`]). Twilio's status callbacks move the call through
//! ringing and in progress; a busy line or no answer ends it. Its end (Ultravox's `call.ended`,
//! or Twilio's `completed`) is confirmed by `GET /api/calls/{id}` (docs/providers.md#ultravox:
//! the webhook's signature scheme is not pinned), then the call's messages are fetched and applied
//! as lines, the values the agent recorded with its `record_field` tool as fields, and the end.
//! The [reconciler](reconcile) does the same for calls whose end is overdue.

mod agents;
mod reconcile;
mod report;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{AgentConfig, BackendKind, CallId, CallState};
use switchboard_providers::twilio::{CallInstructions, Stream, TwimlResponse};
use switchboard_providers::ultravox::{AgentCall, EndReason, UltravoxClient};
use switchboard_providers::{ProviderError, VariableValue};
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::placing;
use super::reconcile::ReconcileSettings;
use super::twilio::{RecordedBy, TwilioDialer};
use crate::ProviderClients;
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest};

pub use agents::RECORD_FIELD_TOOL;

/// The provider id under which a call's Ultravox call is kept.
pub const ULTRAVOX_CALL_REF: &str = "Ultravox call";
/// The metadata key carrying our call id on the Ultravox call.
pub const CALL_ID_METADATA: &str = "switchboardCallId";

const BACKEND: &str = "Ultravox";

/// Places calls with Ultravox agents, bridged through Twilio.
#[derive(Clone)]
pub struct UltravoxBackend {
    clients: ProviderClients,
    dialer: TwilioDialer,
    store: Arc<Store>,
    reconcile: ReconcileSettings,
}

impl UltravoxBackend {
    /// A backend calling with `client` for good (see [`UltravoxBackend::with_clients`]).
    pub fn new(client: UltravoxClient, dialer: TwilioDialer, store: Arc<Store>, reconcile: ReconcileSettings) -> Self {
        let clients = ProviderClients::holding(|set| set.ultravox = Some(client));
        Self::with_clients(clients, dialer, store, reconcile)
    }

    /// A backend using the Ultravox client `clients` holds at each call, agent save and report,
    /// bridging through `dialer` (whose [`LiveCalls`](switchboard_engine::LiveCalls) the listener's
    /// [`CallReports`](switchboard_engine::CallReports) must share).
    pub fn with_clients(
        clients: ProviderClients,
        dialer: TwilioDialer,
        store: Arc<Store>,
        reconcile: ReconcileSettings,
    ) -> Self {
        Self { clients, dialer, store, reconcile }
    }

    /// The Ultravox client in force, when its key is set.
    fn client(&self) -> Option<UltravoxClient> {
        self.clients.current().ultravox.clone()
    }
}

impl CallBackend for UltravoxBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Ultravox
    }

    fn configured(&self) -> bool {
        self.clients.current().ultravox.is_some() && self.dialer.configured()
    }

    /// The reconciler closes a call Ultravox has not ended `give_up` past its max duration;
    /// the call task waits one reconciler pass longer.
    fn report_delay(&self) -> Duration {
        self.reconcile.give_up + self.reconcile.every
    }

    /// Twilio and Ultravox run the call on; their webhooks or the reconciler end it.
    fn keeps_calls_across_restarts(&self) -> bool {
        true
    }

    fn sync_agent(
        &self,
        previous: Option<AgentConfig>,
        config: AgentConfig,
    ) -> BoxFuture<'static, Result<AgentConfig, BackendError>> {
        self.sync(previous, config)
    }

    /// Hangs up the Twilio call that bridges the callee to Ultravox.
    fn hang_up(&self, call: CallId) -> BoxFuture<'static, Result<(), BackendError>> {
        let dialer = self.dialer.clone();
        Box::pin(async move { dialer.hang_up(BACKEND, call).await })
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            let agent_id = request.agent.config.backend_settings.ultravox.agent_id.trim().to_owned();
            if agent_id.is_empty() {
                return Err(refused("the agent is not on Ultravox yet; save it to create it there"));
            }
            let client = backend.client().ok_or_else(|| refused("no Ultravox API key is set"))?;
            let calling = backend.dialer.calling(BACKEND)?;
            let call = AgentCall {
                template_context: request
                    .variables
                    .iter()
                    .map(|(name, value)| (name.clone(), VariableValue::Text(value.clone())))
                    .collect(),
                metadata: BTreeMap::from([(CALL_ID_METADATA.to_owned(), request.call_id.to_string())]),
                max_duration_secs: Some(request.agent.config.max_duration_secs),
                recording_enabled: None,
            };
            let created = client.create_agent_call(&agent_id, &call).await.map_err(provider_error)?;
            let join_url = created.join_url.ok_or_else(|| refused("Ultravox gave the call no joinUrl"))?;
            let twiml = TwimlResponse::new()
                .connect_stream(Stream::new(join_url))
                .render()
                .map_err(|error| refused(&format!("the joinUrl does not fit in TwiML: {error}")))?;
            let refs = vec![(ULTRAVOX_CALL_REF, created.call_id)];
            let instructions = CallInstructions::Twiml(twiml);
            backend.dialer.dial(&calling, &request, instructions, RecordedBy::Twilio, events, BACKEND, refs).await?;
            Ok(())
        })
    }
}

/// The state an Ultravox call ended in, by its end reason.
pub(crate) fn ended_state(end_reason: Option<EndReason>) -> CallState {
    match end_reason {
        Some(EndReason::Unjoined) => CallState::NoAnswer,
        Some(EndReason::ConnectionError | EndReason::SystemError) => CallState::Failed,
        _ => CallState::Completed,
    }
}

fn provider_error(error: ProviderError) -> BackendError {
    placing::provider_error(BACKEND, error)
}

fn refused(message: &str) -> BackendError {
    placing::refused(BACKEND, message)
}
