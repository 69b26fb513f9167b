//! The Vapi backend: Vapi places the call with one of its assistants from its phone number and
//! runs the conversation; Switchboard learns how it went from Vapi's server messages.
//!
//! A call is placed (`POST /call`) with the call's variables as `variableValues` and the
//! rendered first message. Vapi's `status-update` messages move the call to ringing and in
//! progress; its `end-of-call-report` (or the call, fetched once overdue with `GET /call/{id}`)
//! carries the transcript, the structured data, the cost and the recording's URL, read in
//! [`report`]. The rest is the [hosted backend](super::HostedBackend)'s.
//!
//! The system prompt stays the assistant's own, written with `{{variables}}` on Vapi's side:
//! overriding it means overriding the assistant's model, whose provider Switchboard does not know.

mod report;
mod webhook;

use std::sync::Arc;

use switchboard_core::BackendKind;
use switchboard_providers::vapi::{VapiCall, VapiCallRequest, VapiCallStatus, VapiClient};
use switchboard_providers::{ProviderError, VariableValue};
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::placing::{CallPlacing, Placed, provider_error, refused};
use super::report::FinishedCall;
use super::webhook::Webhook;
use super::{HostedBackend, HostedProvider, ReconcileSettings, Taken};
use crate::ProviderSet;
use switchboard_engine::LiveCalls;
use switchboard_engine::{BackendError, BackendEvent, CallRequest};

pub(crate) use report::{CallOutcome, ended_state, finished_call};

/// The provider id under which a call's Vapi call id is kept.
pub const CALL_REF: &str = "Vapi call";

const BACKEND: &str = "Vapi";

/// Vapi assistants, as a [`HostedProvider`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Vapi;

/// Places calls through Vapi assistants.
pub type VapiBackend = HostedBackend<Vapi>;

impl VapiBackend {
    /// A backend calling with `client` for good (see [`VapiBackend::with_clients`]).
    pub fn new(client: VapiClient, store: Arc<Store>, live: LiveCalls, reconcile: ReconcileSettings) -> Self {
        Self::with_clients(CallPlacing::fixed(|set| set.vapi = Some(client), store, live, reconcile))
    }

    /// A backend calling with the Vapi client in force when each call is placed.
    pub fn with_clients(placing: CallPlacing) -> Self {
        Self::hosting(Vapi, placing)
    }
}

impl HostedProvider for Vapi {
    type Client = VapiClient;
    type Call = VapiCall;

    const KIND: BackendKind = BackendKind::Vapi;
    const NAME: &'static str = BACKEND;
    const CALL_REF: &'static str = CALL_REF;
    const WEBHOOK: Webhook = webhook::WEBHOOK;
    const CALL_NOUN: &'static str = "call";
    const NO_ID: &'static str = "the app stopped before Vapi's call id was recorded";
    const NEVER_ENDED: &'static str = "Vapi never reported the end of the call";

    fn client(&self, set: &ProviderSet) -> Option<VapiClient> {
        set.vapi.clone()
    }

    async fn place(
        &self,
        client: Result<VapiClient, BackendError>,
        request: &CallRequest,
        _events: &mpsc::Sender<BackendEvent>,
    ) -> Result<Taken, BackendError> {
        let call = call_request(request)?;
        let placed = client?.create_call(&call).await.map_err(|error| provider_error(BACKEND, error))?;
        // Until Vapi's status updates say more, a queued call stays dialing.
        let ringing = matches!(placed.status, VapiCallStatus::Ringing | VapiCallStatus::InProgress);
        Ok(Taken::Placed(Placed { provider_call_id: placed.id.clone(), refs: vec![(CALL_REF, placed.id)], ringing }))
    }

    async fn fetch_call(client: &VapiClient, id: &str) -> Result<VapiCall, ProviderError> {
        client.get_call(id).await
    }

    fn has_ended(call: &VapiCall) -> bool {
        call.status == VapiCallStatus::Ended
    }

    async fn finished_call(client: &VapiClient, call: &VapiCall, record: String) -> FinishedCall {
        finished_call(Some(client), &CallOutcome::from(call), record).await
    }
}

/// The `POST /call` request for `request`: the agent's assistant and phone number, the callee,
/// the call's variables and the rendered first message.
fn call_request(request: &CallRequest) -> Result<VapiCallRequest, BackendError> {
    let settings = &request.agent.config.backend_settings.vapi;
    if settings.assistant_id.trim().is_empty() || settings.phone_number_id.trim().is_empty() {
        return Err(refused(BACKEND, "the agent needs its Vapi assistant id and phone number id"));
    }
    let name = request.contact.fields.name.trim();
    Ok(VapiCallRequest {
        assistant_id: settings.assistant_id.trim().to_owned(),
        phone_number_id: settings.phone_number_id.trim().to_owned(),
        customer_number: request.to.clone(),
        customer_name: (!name.is_empty()).then(|| name.to_owned()),
        variable_values: request
            .variables
            .iter()
            .map(|(name, value)| (name.clone(), VariableValue::Text(value.clone())))
            .collect(),
        first_message: Some(request.first_message.clone()).filter(|message| !message.trim().is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use switchboard_core::BackendKind;

    use super::call_request;
    use switchboard_engine::CallRequest;
    use switchboard_engine::test_support::quote_request;

    fn request(assistant_id: &str) -> CallRequest {
        quote_request(|config| {
            config.backend = BackendKind::Vapi;
            config.backend_settings.vapi.assistant_id = assistant_id.into();
            config.backend_settings.vapi.phone_number_id = "pn_1".into();
        })
    }

    #[test]
    fn the_request_carries_ids_the_callee_variables_and_the_first_message() {
        let call = call_request(&request(" asst_1 ")).unwrap();
        assert_eq!((call.assistant_id.as_str(), call.phone_number_id.as_str()), ("asst_1", "pn_1"));
        assert_eq!((call.customer_number.as_str(), call.customer_name.as_deref()), ("+13125550143", Some("Acme")));
        assert_eq!(call.variable_values["vendor_name"], "Acme".into());
        assert_eq!(call.first_message.as_deref(), Some("Hi Acme"));
    }

    #[test]
    fn an_agent_without_its_vapi_ids_is_refused() {
        let error = call_request(&request("")).unwrap_err();
        assert_eq!(error.to_string(), "Vapi: the agent needs its Vapi assistant id and phone number id");
    }
}
