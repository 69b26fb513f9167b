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

use switchboard_core::{BackendKind, CallId, CallState, ControlAction};
use switchboard_providers::vapi::{ControlMessage, VapiCall, VapiCallRequest, VapiCallStatus, VapiClient};
use switchboard_providers::{ProviderError, VariableValue};
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::placing::{CallPlacing, Placed, provider_error, refused};
use super::report::FinishedCall;
use super::webhook::Webhook;
use super::{HostedBackend, HostedProvider, ReconcileSettings, Taken};
use crate::ProviderSet;
use switchboard_engine::LiveCalls;
use switchboard_engine::{
    BackendError, BackendEvent, BoxFuture, CallCommand, CallRequest, ENDED_BY_DISPATCHER, TAKEN_OVER, blocking,
};

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

    /// Vapi's live call control does all four, through the call's `monitor.controlUrl`.
    fn can(&self, set: &ProviderSet, _action: ControlAction) -> Result<(), String> {
        match set.vapi {
            Some(_) => Ok(()),
            None => Err("no Vapi API key is set (Settings): the call is controlled through it".to_owned()),
        }
    }

    fn control(
        &self,
        placing: &CallPlacing,
        call: CallId,
        command: CallCommand,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let placing = placing.clone();
        Box::pin(async move { live_control(&placing, call, command).await })
    }
}

/// Sends `command` to the Vapi call behind `call` through its control URL (fetched with the call:
/// it is not kept); an end or a hand-over then ends the call for the dispatcher on its channel.
async fn live_control(placing: &CallPlacing, call: CallId, command: CallCommand) -> Result<(), BackendError> {
    let client = placing.clients.current().vapi.clone().ok_or_else(|| refused(BACKEND, "no Vapi API key is set"))?;
    let store = Arc::clone(&placing.store);
    let vapi_id = blocking(move || store.provider_facts(call))
        .await
        .map_err(|error| refused(BACKEND, &format!("the call's Vapi id could not be read: {error}")))?
        .refs
        .remove(CALL_REF)
        .ok_or_else(|| refused(BACKEND, "Vapi has not taken the call yet"))?;
    let live = client.get_call(&vapi_id).await.map_err(|error| provider_error(BACKEND, error))?;
    let control_url = live.monitor.and_then(|monitor| monitor.control_url).ok_or_else(|| {
        refused(BACKEND, "Vapi gave no control URL for the call (live control is off in the assistant's monitorPlan)")
    })?;
    let (message, end) = match command {
        CallCommand::End => (ControlMessage::EndCall, Some((CallState::Canceled, ENDED_BY_DISPATCHER))),
        CallCommand::TakeOver { to } => (ControlMessage::transfer_to(to), Some((CallState::Completed, TAKEN_OVER))),
        CallCommand::Steer { note } => {
            (ControlMessage::note(format!("A note from the dispatcher, to follow from now on: {note}")), None)
        }
        CallCommand::Say { line } => (ControlMessage::say(line), None),
    };
    let ending = end.is_some_and(|(state, _)| state == CallState::Canceled);
    if ending {
        placing.live.set_ending(call, true);
    }
    if let Err(error) = client.control(&control_url, &message).await {
        if ending {
            placing.live.set_ending(call, false);
        }
        return Err(provider_error(BACKEND, error));
    }
    if let (Some((state, reason)), Some(events)) = (end, placing.live.sender(call)) {
        let _ = events.send(BackendEvent::Ended { state, reason: reason.to_owned() }).await;
    }
    Ok(())
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
