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
//! The [hosted backend](super::HostedBackend)'s reconciler does the same for calls whose end is
//! overdue.

mod agents;
mod report;
mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;

use switchboard_core::{AgentConfig, BackendKind, CallId, CallState, ControlAction};
use switchboard_providers::twilio::{CallInstructions, Stream, TwimlResponse};
use switchboard_providers::ultravox::{AgentCall, EndReason, UltravoxCall, UltravoxClient};
use switchboard_providers::{ProviderError, VariableValue};
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::placing::{self, CallPlacing};
use super::reconcile::ReconcileSettings;
use super::report::FinishedCall;
use super::twilio::{NO_TWILIO, RecordedBy, TwilioDialer};
use super::webhook::Webhook;
use super::{HostedBackend, HostedProvider, Taken};
use crate::{ProviderClients, ProviderSet};
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallCommand, CallRequest, cannot};

pub use agents::RECORD_FIELD_TOOL;
pub(crate) use report::reports_end;

/// The provider id under which a call's Ultravox call is kept.
pub const ULTRAVOX_CALL_REF: &str = "Ultravox call";
/// Ultravox agents' `record_field` tool posts each value here (answered by the listener).
pub const ULTRAVOX_TOOL_PATH: &str = "/ultravox/tools/record-field";
/// The metadata key carrying our call id on the Ultravox call.
pub const CALL_ID_METADATA: &str = "switchboardCallId";

const BACKEND: &str = "Ultravox";

/// Ultravox agents bridged through the Twilio dialer, as a [`HostedProvider`].
#[derive(Clone)]
pub struct Ultravox {
    clients: ProviderClients,
    dialer: TwilioDialer,
}

/// Places calls with Ultravox agents, bridged through Twilio.
pub type UltravoxBackend = HostedBackend<Ultravox>;

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
        let live = dialer.live().clone();
        let provider = Ultravox { clients: clients.clone(), dialer };
        Self::hosting(provider, CallPlacing { clients, store, live, reconcile })
    }
}

impl HostedProvider for Ultravox {
    type Client = UltravoxClient;
    type Call = UltravoxCall;

    const KIND: BackendKind = BackendKind::Ultravox;
    const NAME: &'static str = BACKEND;
    const CALL_REF: &'static str = ULTRAVOX_CALL_REF;
    const WEBHOOK: Webhook = webhook::WEBHOOK;
    const CALL_NOUN: &'static str = "call";
    const NO_ID: &'static str = "the app stopped before the Ultravox call id was recorded";
    const NEVER_ENDED: &'static str = "Ultravox never reported the end of the call";

    fn client(&self, set: &ProviderSet) -> Option<UltravoxClient> {
        set.ultravox.clone()
    }

    fn configured(&self, set: &ProviderSet) -> bool {
        set.ultravox.is_some() && self.dialer.configured()
    }

    async fn place(
        &self,
        client: Result<UltravoxClient, BackendError>,
        request: &CallRequest,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<Taken, BackendError> {
        let agent_id = request.agent.config.backend_settings.ultravox.agent_id.trim().to_owned();
        if agent_id.is_empty() {
            return Err(refused("the agent is not on Ultravox yet; save it to create it there"));
        }
        let client = client?;
        let calling = self.dialer.calling(BACKEND)?;
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
        let events = events.clone();
        self.dialer.dial(&calling, request, instructions, RecordedBy::Twilio, events, BACKEND, refs).await?;
        Ok(Taken::Filed)
    }

    async fn fetch_call(client: &UltravoxClient, id: &str) -> Result<UltravoxCall, ProviderError> {
        client.get_call(id).await
    }

    fn has_ended(call: &UltravoxCall) -> bool {
        call.ended.is_some()
    }

    async fn finished_call(client: &UltravoxClient, call: &UltravoxCall, record: String) -> FinishedCall {
        report::finished_call(client, call, record).await
    }

    fn sync_agent(
        &self,
        previous: Option<AgentConfig>,
        config: AgentConfig,
    ) -> BoxFuture<'static, Result<AgentConfig, BackendError>> {
        self.sync(previous, config)
    }

    /// The Twilio call that bridges the callee to Ultravox is hung up or handed to the
    /// dispatcher; Ultravox's agent takes no note or line from here.
    fn can(&self, _set: &ProviderSet, action: ControlAction) -> Result<(), String> {
        match action {
            ControlAction::End | ControlAction::TakeOver if self.dialer.configured() => Ok(()),
            ControlAction::End | ControlAction::TakeOver => Err(NO_TWILIO.to_owned()),
            other => Err(cannot(BackendKind::Ultravox, other)),
        }
    }

    fn control(
        &self,
        _placing: &CallPlacing,
        call: CallId,
        command: CallCommand,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let dialer = self.dialer.clone();
        Box::pin(async move {
            match command {
                CallCommand::End => dialer.hang_up(BACKEND, call).await,
                CallCommand::TakeOver { to } => dialer.take_over(BACKEND, call, &to).await,
                other => Err(refused(&cannot(BackendKind::Ultravox, other.action()))),
            }
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
