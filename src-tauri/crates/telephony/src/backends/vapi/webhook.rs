//! Vapi's server messages (authenticated by the server URL's credential: bearer token, custom
//! header or HMAC, see `VapiWebhookKey`): `status-update`
//! moves the call to ringing and in progress; the `end-of-call-report` carries the whole call,
//! applied as its report.

use switchboard_core::CallState;
use switchboard_providers::Provider;
use switchboard_providers::vapi::{EndOfCallReport, VapiCallStatus, VapiServerMessage};

use super::{CallOutcome, ended_state, finished_call};
use crate::ProviderSet;
use crate::backends::report::FinishedCall;
use crate::backends::webhook::{CallChange, CarriedReport, Webhook, wire};
use switchboard_engine::BoxFuture;

pub(super) const WEBHOOK: Webhook = Webhook {
    name: "vapi",
    path: "/vapi/events",
    provider: Provider::Vapi,
    label: "Vapi server URL",
    verify: |keys, request| {
        let key = keys.vapi.as_ref()?;
        Some(key.verify(&request.text_headers(), request.body, std::time::SystemTime::now()))
    },
    event_key,
    call_change: |body| Ok(call_change(VapiServerMessage::parse(body)?)),
};

fn event_key(body: &[u8]) -> Option<String> {
    match VapiServerMessage::parse(body).ok()? {
        VapiServerMessage::StatusUpdate(update) => {
            update.call.map(|call| format!("status-update:{}:{}", call.id, wire(update.status)))
        }
        VapiServerMessage::EndOfCallReport(report) => report.call.map(|call| format!("end-of-call-report:{}", call.id)),
        VapiServerMessage::Other => None,
    }
}

fn call_change(message: VapiServerMessage) -> Option<CallChange> {
    match message {
        VapiServerMessage::StatusUpdate(update) => {
            let state = match update.status {
                VapiCallStatus::Scheduled | VapiCallStatus::Queued => CallState::Dialing,
                VapiCallStatus::Ringing => CallState::Ringing,
                VapiCallStatus::InProgress => CallState::InProgress,
                // The end-of-call report that follows ends the call with all it says (or the
                // reconciler does, should it be lost); ending it here first would leave the
                // report's transcript and values to a call already closed without them.
                VapiCallStatus::Ended | VapiCallStatus::Forwarding | VapiCallStatus::Other => return None,
            };
            Some(CallChange::new(vec![update.call?.id], state, None))
        }
        VapiServerMessage::EndOfCallReport(report) => {
            let (state, reason) = ended_state(&report.ended_reason);
            let ids = vec![report.call.as_ref()?.id.clone()];
            let report: Option<Box<dyn CarriedReport>> = Some(report);
            Some(CallChange { report, ..CallChange::new(ids, state, Some(reason)) })
        }
        VapiServerMessage::Other => None,
    }
}

/// The end-of-call report: the transcript, the structured data, the cost and the recording.
impl CarriedReport for EndOfCallReport {
    fn finished(&self, clients: &ProviderSet, record: String) -> BoxFuture<'_, FinishedCall> {
        let client = clients.vapi.clone();
        Box::pin(async move { finished_call(client.as_ref(), &CallOutcome::from(self), record).await })
    }
}
