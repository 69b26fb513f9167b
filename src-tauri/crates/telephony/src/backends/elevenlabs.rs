//! The ElevenLabs Agents backend: ElevenLabs places the call from its imported Twilio number
//! and runs the conversation; Switchboard learns how it went afterwards.
//!
//! How a call's report meets its call task: `start` places the call, sends `Ringing`, and files
//! the call's event channel in the shared [`LiveCalls`] before recording the conversation id
//! (so a webhook can only find the call once its channel is filed). The dispatcher's call task
//! then waits on that channel as for any backend. When the post-call transcription webhook
//! arrives, the listener's inbox processor finds the call by conversation id and turns the
//! conversation into backend events (`Answered`, each `Line`, each `Field`, the `Recording`
//! fetched by GET, `Ended`), which [`CallReports`](switchboard_engine::CallReports) sends down the filed channel: the call task
//! applies them and computes the offer exactly as for the simulator. With no task listening
//! (it closed the call as lost, or the app restarted), a call task is built for the report and
//! applies it with the same code. The [reconciler](reconcile) fetches conversations whose
//! webhook is overdue and applies them the same way, so a dropped webhook still ends the call.

mod reconcile;
mod report;

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::BackendKind;
use switchboard_providers::VariableValue;
use switchboard_providers::elevenlabs::{ClientData, ConversationOverrides, ElevenLabsClient, OutboundCall};
use switchboard_store::Store;
use tokio::sync::mpsc;

use crate::ProviderClients;
use crate::backends::placing::{CallPlacing, Placed, file_placed_call, provider_error, refused};
use switchboard_engine::LiveCalls;
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest};

pub use crate::backends::ReconcileSettings;
pub(crate) use report::finished_call;

/// The provider id under which a call's conversation is kept.
pub const CONVERSATION_REF: &str = "ElevenLabs conversation";
/// The provider id under which the Twilio call ElevenLabs placed is kept.
pub const TWILIO_CALL_REF: &str = "Twilio call SID";

const BACKEND: &str = "ElevenLabs";

/// Places calls through ElevenLabs Agents.
#[derive(Clone)]
pub struct ElevenLabsBackend {
    placing: CallPlacing,
}

impl ElevenLabsBackend {
    /// A backend calling with `client` for good (see [`ElevenLabsBackend::with_clients`]).
    pub fn new(client: ElevenLabsClient, store: Arc<Store>, live: LiveCalls, reconcile: ReconcileSettings) -> Self {
        let clients = ProviderClients::holding(|set| set.elevenlabs = Some(client));
        Self::with_clients(CallPlacing { clients, store, live, reconcile })
    }

    /// A backend calling with the ElevenLabs client in force when each call is placed.
    pub fn with_clients(placing: CallPlacing) -> Self {
        Self { placing }
    }

    /// The ElevenLabs client in force, when its key is set.
    pub fn client(&self) -> Option<ElevenLabsClient> {
        self.placing.clients.current().elevenlabs.clone()
    }
}

impl CallBackend for ElevenLabsBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::ElevenLabs
    }

    fn configured(&self) -> bool {
        self.placing.clients.current().elevenlabs.is_some()
    }

    /// The reconciler closes a call whose conversation is not final `give_up` past its max
    /// duration; the call task waits one reconciler pass longer, for when ElevenLabs cannot be
    /// reached at all.
    fn report_delay(&self) -> Duration {
        self.placing.report_delay()
    }

    /// ElevenLabs runs the call on; its webhook or the reconciler ends it.
    fn keeps_calls_across_restarts(&self) -> bool {
        true
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            let call = outbound_call(&request)?;
            let client = backend.client().ok_or_else(|| refused(BACKEND, "no ElevenLabs API key is set"))?;
            let started = client.outbound_call(&call).await.map_err(|error| provider_error(BACKEND, error))?;
            let mut refs = vec![(CONVERSATION_REF, started.conversation_id.clone())];
            refs.extend(started.call_sid.map(|sid| (TWILIO_CALL_REF, sid)));
            let placed = Placed { provider_call_id: started.conversation_id, refs, ringing: true };
            file_placed_call(BACKEND, &backend.placing.store, &backend.placing.live, request.call_id, events, placed)
                .await
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
