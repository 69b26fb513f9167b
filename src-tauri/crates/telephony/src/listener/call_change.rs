//! What a stored webhook means for a call: which call (by the provider's ids) and the state it
//! reports, read with the providers' typed parsers. Events that change no state (audio notices,
//! billing) mean nothing yet. An ElevenLabs post-call transcription and a Vapi end-of-call
//! report carry the whole call, which is applied as its backend's report; a machine's AMD
//! verdict and a finished recording are notices for the Twilio dialer that placed the call.

use switchboard_core::CallState;
use switchboard_providers::PayloadError;
use switchboard_providers::elevenlabs::{ConversationStatus, ElevenLabsWebhook};
use switchboard_providers::twilio::{AmdCallback, AnsweredBy, RecordingCallback, RecordingStatus, StatusCallback};
use switchboard_providers::ultravox::{UltravoxEvent, UltravoxWebhook};
use switchboard_providers::vapi::{VapiCallStatus, VapiServerMessage};

use super::routes::WebhookRoute;
use crate::backends::report::ProviderReport;
use crate::backends::twilio::{TwilioNotice, status_change};
use crate::backends::{ultravox, vapi};

/// A state a provider reported for one of its calls.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CallChange {
    /// The ids the provider may know the call by, most specific first.
    pub(super) provider_ids: Vec<String>,
    pub(super) state: CallState,
    pub(super) reason: Option<String>,
    /// The finished call's report, when the webhook carries one (it says more than the state).
    pub(super) report: Option<ProviderReport>,
    /// Something for the Twilio dialer to act on instead of a state to apply.
    pub(super) notice: Option<TwilioNotice>,
}

impl CallChange {
    fn new(provider_ids: Vec<String>, state: CallState, reason: Option<String>) -> Self {
        Self { provider_ids, state, reason, report: None, notice: None }
    }

    /// A notice about a call the callee answered (a machine, or a recording of the call).
    fn notice(call_sid: String, notice: TwilioNotice) -> Self {
        Self { notice: Some(notice), ..Self::new(vec![call_sid], CallState::InProgress, None) }
    }
}

/// Reads a webhook body; `Ok(None)` when it reports no state change.
pub(super) fn call_change(route: WebhookRoute, body: &[u8]) -> Result<Option<CallChange>, PayloadError> {
    Ok(match route {
        WebhookRoute::TwilioStatus => {
            let callback = StatusCallback::parse(body)?;
            status_change(callback.call_status, callback.sip_response_code)
                .map(|(state, reason)| CallChange::new(vec![callback.call_sid], state, reason))
        }
        WebhookRoute::TwilioRecording => {
            let callback = RecordingCallback::parse(body)?;
            (callback.recording_status == RecordingStatus::Completed)
                .then(|| CallChange::notice(callback.call_sid.clone(), TwilioNotice::Recording(callback)))
        }
        WebhookRoute::TwilioAmd => {
            // A machine's verdict is the dialer's to act on (leave a message or hang up); a
            // person answering means the call is live.
            let callback = AmdCallback::parse(body)?;
            match callback.answered_by {
                AnsweredBy::Human => Some(CallChange::new(vec![callback.call_sid], CallState::InProgress, None)),
                machine if machine.is_machine() => Some(CallChange::notice(callback.call_sid, TwilioNotice::Machine)),
                _ => None,
            }
        }
        WebhookRoute::ElevenLabs => elevenlabs_change(ElevenLabsWebhook::parse(body)?),
        WebhookRoute::Ultravox => ultravox_change(UltravoxWebhook::parse(body)?),
        WebhookRoute::Vapi => vapi_change(VapiServerMessage::parse(body)?),
    })
}

fn elevenlabs_change(webhook: ElevenLabsWebhook) -> Option<CallChange> {
    match webhook {
        ElevenLabsWebhook::PostCallTranscription { data, .. } => {
            let call_sid = data.metadata.phone_call.as_ref().and_then(|phone| phone.call_sid.clone());
            let ids = std::iter::once(data.conversation_id.clone()).chain(call_sid).collect();
            let reason = data.metadata.termination_reason.clone().unwrap_or_else(|| "the conversation ended".into());
            let state =
                if data.status == ConversationStatus::Failed { CallState::Failed } else { CallState::Completed };
            let report = Some(ProviderReport::ElevenLabs(data));
            Some(CallChange { report, ..CallChange::new(ids, state, Some(reason)) })
        }
        ElevenLabsWebhook::CallInitiationFailure { data, .. } => {
            let failure = data.failure_reason.unwrap_or_else(|| "unknown".into());
            let state = match failure.as_str() {
                "busy" => CallState::Busy,
                "no-answer" | "no_answer" => CallState::NoAnswer,
                _ => CallState::Failed,
            };
            let reason = format!("ElevenLabs could not start the call: {failure}");
            Some(CallChange::new(data.conversation_id.into_iter().collect(), state, Some(reason)))
        }
        ElevenLabsWebhook::PostCallAudio { .. } | ElevenLabsWebhook::Other => None,
    }
}

fn ultravox_change(webhook: UltravoxWebhook) -> Option<CallChange> {
    let (state, reason) = match webhook.event {
        UltravoxEvent::Started => (CallState::Dialing, None),
        UltravoxEvent::Joined => (CallState::InProgress, None),
        UltravoxEvent::Ended => {
            let state = ultravox::ended_state(webhook.call.end_reason);
            let reason = webhook.call.short_summary.clone().unwrap_or_else(|| "the call ended (Ultravox)".into());
            (state, Some(reason))
        }
        UltravoxEvent::Billed | UltravoxEvent::Other => return None,
    };
    Some(CallChange::new(vec![webhook.call.call_id], state, reason))
}

fn vapi_change(message: VapiServerMessage) -> Option<CallChange> {
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
            let (state, reason) = vapi::ended_state(&report.ended_reason);
            let ids = vec![report.call.as_ref()?.id.clone()];
            Some(CallChange { report: Some(ProviderReport::Vapi(report)), ..CallChange::new(ids, state, Some(reason)) })
        }
        VapiServerMessage::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::CallState;

    use super::{CallChange, call_change};
    use crate::backends::twilio::TwilioNotice;
    use crate::listener::WebhookRoute;

    fn change(route: WebhookRoute, body: &[u8]) -> Option<(Vec<String>, CallState)> {
        call_change(route, body).unwrap().map(|CallChange { provider_ids, state, .. }| (provider_ids, state))
    }

    #[test]
    fn each_provider_reports_states_by_its_own_ids() {
        let ids = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
        let twilio = b"CallSid=CA1&AccountSid=AC1&CallStatus=no-answer&SequenceNumber=3";
        assert_eq!(change(WebhookRoute::TwilioStatus, twilio), Some((ids(&["CA1"]), CallState::NoAnswer)));
        let human = b"CallSid=CA1&AccountSid=AC1&AnsweredBy=human";
        assert_eq!(change(WebhookRoute::TwilioAmd, human), Some((ids(&["CA1"]), CallState::InProgress)));
        let machine = call_change(WebhookRoute::TwilioAmd, b"CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_start");
        assert_eq!(machine.unwrap().unwrap().notice, Some(TwilioNotice::Machine));
        assert_eq!(change(WebhookRoute::TwilioAmd, b"CallSid=CA1&AccountSid=AC1&AnsweredBy=unknown"), None);
        let recording = b"CallSid=CA1&RecordingSid=RE1&RecordingStatus=completed";
        assert_eq!(change(WebhookRoute::TwilioRecording, recording), Some((ids(&["CA1"]), CallState::InProgress)));
        let absent = b"CallSid=CA1&RecordingSid=RE1&RecordingStatus=absent";
        assert_eq!(change(WebhookRoute::TwilioRecording, absent), None);
        let eleven = br#"{"type":"post_call_transcription","event_timestamp":1,
            "data":{"conversation_id":"conv1","status":"done","metadata":{"phone_call":{"type":"twilio","call_sid":"CA9"}}}}"#;
        assert_eq!(change(WebhookRoute::ElevenLabs, eleven), Some((ids(&["conv1", "CA9"]), CallState::Completed)));
        let busy = br#"{"type":"call_initiation_failure","event_timestamp":1,"data":{"conversation_id":"conv2","failure_reason":"busy"}}"#;
        assert_eq!(change(WebhookRoute::ElevenLabs, busy), Some((ids(&["conv2"]), CallState::Busy)));
        let unjoined = br#"{"event":"call.ended","call":{"callId":"u1","endReason":"unjoined"}}"#;
        assert_eq!(change(WebhookRoute::Ultravox, unjoined), Some((ids(&["u1"]), CallState::NoAnswer)));
        let voicemail = br#"{"message":{"type":"end-of-call-report","endedReason":"voicemail","call":{"id":"v1"}}}"#;
        assert_eq!(change(WebhookRoute::Vapi, voicemail), Some((ids(&["v1"]), CallState::Voicemail)));
        let ringing = br#"{"message":{"type":"status-update","status":"ringing","call":{"id":"v1"}}}"#;
        assert_eq!(change(WebhookRoute::Vapi, ringing), Some((ids(&["v1"]), CallState::Ringing)));
        let ended = br#"{"message":{"type":"status-update","status":"ended","endedReason":"customer-busy","call":{"id":"v1"}}}"#;
        assert_eq!(change(WebhookRoute::Vapi, ended), None, "the end-of-call report ends the call");
    }

    #[test]
    fn an_unreadable_body_is_an_error_naming_the_provider() {
        let error = call_change(WebhookRoute::TwilioStatus, b"CallStatus=ringing").unwrap_err();
        assert!(error.to_string().starts_with("Twilio status callback could not be read"), "{error}");
    }
}
