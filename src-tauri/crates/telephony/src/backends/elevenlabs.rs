//! The ElevenLabs Agents backend: ElevenLabs places the call from its imported Twilio number
//! and runs the conversation; Switchboard learns how it went afterwards.
//!
//! A call is placed with the agent's ElevenLabs ids, the call's variables and the rendered
//! prompt and first message; ElevenLabs' post-call transcription webhook (or the conversation,
//! fetched once overdue: ElevenLabs does not retry a webhook it could not deliver) carries the
//! conversation, read in [`report`]. The rest is the [hosted backend](super::HostedBackend)'s.

mod report;
mod webhook;

use std::sync::Arc;

use switchboard_core::{BackendKind, CallId, ControlAction};
use switchboard_providers::elevenlabs::{
    ClientData, Conversation, ConversationOverrides, ConversationStatus, ElevenLabsClient, OutboundCall,
};
use switchboard_providers::{ProviderError, VariableValue};
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::placing::{CallPlacing, Placed, provider_error, refused};
use super::report::FinishedCall;
use super::twilio::{NO_TWILIO, TwilioSteer, steer_twilio_call};
use super::webhook::Webhook;
use super::{HostedBackend, HostedProvider, TWILIO_CALL_REF, Taken};
use crate::ProviderSet;
use switchboard_engine::LiveCalls;
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallCommand, CallRequest, cannot};

pub use crate::backends::ReconcileSettings;
pub(crate) use report::finished_call;

/// The provider id under which a call's conversation is kept.
pub const CONVERSATION_REF: &str = "ElevenLabs conversation";

const BACKEND: &str = "ElevenLabs";

/// ElevenLabs Agents, as a [`HostedProvider`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ElevenLabs;

/// Places calls through ElevenLabs Agents.
pub type ElevenLabsBackend = HostedBackend<ElevenLabs>;

impl ElevenLabsBackend {
    /// A backend calling with `client` for good (see [`ElevenLabsBackend::with_clients`]).
    pub fn new(client: ElevenLabsClient, store: Arc<Store>, live: LiveCalls, reconcile: ReconcileSettings) -> Self {
        Self::with_clients(CallPlacing::fixed(|set| set.elevenlabs = Some(client), store, live, reconcile))
    }

    /// A backend calling with the ElevenLabs client in force when each call is placed.
    pub fn with_clients(placing: CallPlacing) -> Self {
        Self::hosting(ElevenLabs, placing)
    }
}

impl HostedProvider for ElevenLabs {
    type Client = ElevenLabsClient;
    type Call = Conversation;

    const KIND: BackendKind = BackendKind::ElevenLabs;
    const NAME: &'static str = BACKEND;
    const CALL_REF: &'static str = CONVERSATION_REF;
    const WEBHOOK: Webhook = webhook::WEBHOOK;
    const CALL_NOUN: &'static str = "conversation";
    const NO_ID: &'static str = "the app stopped before ElevenLabs' conversation id was recorded";
    const NEVER_ENDED: &'static str = "ElevenLabs never reported the end of the conversation";

    fn client(&self, set: &ProviderSet) -> Option<ElevenLabsClient> {
        set.elevenlabs.clone()
    }

    async fn place(
        &self,
        client: Result<ElevenLabsClient, BackendError>,
        request: &CallRequest,
        _events: &mpsc::Sender<BackendEvent>,
    ) -> Result<Taken, BackendError> {
        let call = outbound_call(request)?;
        let started = client?.outbound_call(&call).await.map_err(|error| provider_error(BACKEND, error))?;
        let mut refs = vec![(CONVERSATION_REF, started.conversation_id.clone())];
        refs.extend(started.call_sid.map(|sid| (TWILIO_CALL_REF, sid)));
        Ok(Taken::Placed(Placed { provider_call_id: started.conversation_id, refs, ringing: true }))
    }

    async fn fetch_call(client: &ElevenLabsClient, id: &str) -> Result<Conversation, ProviderError> {
        client.get_conversation(id).await
    }

    fn has_ended(conversation: &Conversation) -> bool {
        matches!(conversation.status, ConversationStatus::Done | ConversationStatus::Failed)
    }

    async fn finished_call(client: &ElevenLabsClient, conversation: &Conversation, record: String) -> FinishedCall {
        finished_call(Some(client), conversation, record).await
    }

    /// ElevenLabs places its calls on the account's Twilio number: with that account's
    /// credentials set, the Twilio call (its SID came with the call) is hung up or handed over.
    /// ElevenLabs takes no note or line for its agent during a phone call.
    fn can(&self, set: &ProviderSet, action: ControlAction) -> Result<(), String> {
        match action {
            ControlAction::End | ControlAction::TakeOver if set.twilio.is_some() => Ok(()),
            ControlAction::End | ControlAction::TakeOver => Err(NO_TWILIO.to_owned()),
            other => Err(cannot(BackendKind::ElevenLabs, other)),
        }
    }

    fn control(
        &self,
        placing: &CallPlacing,
        call: CallId,
        command: CallCommand,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let placing = placing.clone();
        Box::pin(async move {
            let steer = match command {
                CallCommand::End => TwilioSteer::HangUp,
                CallCommand::TakeOver { to } => TwilioSteer::Dial(to),
                other => return Err(refused(BACKEND, &cannot(BackendKind::ElevenLabs, other.action()))),
            };
            let client = placing.clients.current().twilio.clone().ok_or_else(|| refused(BACKEND, NO_TWILIO))?;
            steer_twilio_call(&placing, &client, BACKEND, call, None, steer).await
        })
    }
}

/// The outbound-call request for `request`: the agent's ElevenLabs ids, the number, the call's
/// variables, and the rendered prompt and first message as overrides.
fn outbound_call(request: &CallRequest) -> Result<OutboundCall, BackendError> {
    let settings = &request.agent.config.backend_settings.eleven_labs;
    if settings.agent_id.trim().is_empty() || settings.agent_phone_number_id.trim().is_empty() {
        return Err(refused(BACKEND, "the agent needs its ElevenLabs agent id and phone number id"));
    }
    let dynamic_variables =
        request.variables.iter().map(|(name, value)| (name.clone(), VariableValue::Text(value.clone()))).collect();
    Ok(OutboundCall {
        agent_id: settings.agent_id.trim().to_owned(),
        agent_phone_number_id: settings.agent_phone_number_id.trim().to_owned(),
        to_number: request.to.clone(),
        client_data: ClientData {
            dynamic_variables,
            overrides: ConversationOverrides {
                prompt: Some(request.system_prompt.clone()),
                first_message: Some(request.first_message.clone()),
                ..ConversationOverrides::default()
            },
        },
        call_recording_enabled: None,
        ringing_timeout_secs: None,
    })
}

#[cfg(test)]
mod tests {
    use switchboard_core::BackendKind;

    use super::outbound_call;
    use switchboard_engine::CallRequest;
    use switchboard_engine::test_support::quote_request;

    fn request(agent_id: &str) -> CallRequest {
        quote_request(|config| {
            config.backend = BackendKind::ElevenLabs;
            config.backend_settings.eleven_labs.agent_id = agent_id.into();
            config.backend_settings.eleven_labs.agent_phone_number_id = "phnum_1".into();
        })
    }

    #[test]
    fn the_request_carries_ids_variables_and_the_rendered_texts() {
        let body = serde_json::to_value(outbound_call(&request("agent_1")).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"agent_id":"agent_1","agent_phone_number_id":"phnum_1","to_number":"+13125550143",
                "conversation_initiation_client_data":{"dynamic_variables":{"vendor_name":"Acme"},
                "conversation_config_override":{"agent":{"prompt":{"prompt":"You call Acme."},"first_message":"Hi Acme"}}}})
        );
    }

    #[test]
    fn an_agent_without_its_elevenlabs_ids_is_refused() {
        let error = outbound_call(&request(" ")).unwrap_err();
        assert!(error.to_string().contains("ElevenLabs agent id"), "{error}");
    }
}
