//! The listener's paths, and which provider and inbox route each webhook path belongs to.

use switchboard_providers::{PayloadError, Provider};

use crate::backends::elevenlabs::ElevenLabs;
use crate::backends::twilio::{AMD, RECORDING, STATUS};
use crate::backends::ultravox::Ultravox;
use crate::backends::vapi::Vapi;
use crate::backends::webhook::CallChange;
use crate::backends::{HostedProvider, Webhook};

/// The listener's own status and the providers' reachability.
pub const HEALTH_PATH: &str = "/health";

/// A provider callback that is written to the inbox and processed afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookRoute {
    TwilioStatus,
    TwilioRecording,
    TwilioAmd,
    ElevenLabs,
    Ultravox,
    Vapi,
}

impl WebhookRoute {
    pub const ALL: [Self; 6] =
        [Self::TwilioStatus, Self::TwilioRecording, Self::TwilioAmd, Self::ElevenLabs, Self::Ultravox, Self::Vapi];

    /// The webhook as its provider's module tells it.
    pub fn webhook(self) -> &'static Webhook {
        match self {
            Self::TwilioStatus => &STATUS,
            Self::TwilioRecording => &RECORDING,
            Self::TwilioAmd => &AMD,
            Self::ElevenLabs => &ElevenLabs::WEBHOOK,
            Self::Ultravox => &Ultravox::WEBHOOK,
            Self::Vapi => &Vapi::WEBHOOK,
        }
    }

    /// The name kept in the inbox's `route` column.
    pub fn name(self) -> &'static str {
        self.webhook().name
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.name() == name)
    }

    /// Where the provider posts it.
    pub fn path(self) -> &'static str {
        self.webhook().path
    }

    pub fn provider(self) -> Provider {
        self.webhook().provider
    }

    /// What a body posted here means for a call; `Ok(None)` when it reports no state change.
    pub(super) fn call_change(self, body: &[u8]) -> Result<Option<CallChange>, PayloadError> {
        (self.webhook().call_change)(body)
    }
}

/// The provider's name in the inbox's `provider` column and in the health report.
pub fn provider_id(provider: Provider) -> &'static str {
    match provider {
        Provider::Twilio => "twilio",
        Provider::ElevenLabs => "elevenlabs",
        Provider::Ultravox => "ultravox",
        Provider::Vapi => "vapi",
        Provider::Deepgram => "deepgram",
        Provider::Anthropic => "anthropic",
    }
}

#[cfg(test)]
mod tests {
    use super::WebhookRoute;

    #[test]
    fn names_read_back_and_paths_are_distinct() {
        for route in WebhookRoute::ALL {
            assert_eq!(WebhookRoute::from_name(route.name()), Some(route));
        }
        let mut paths: Vec<_> = WebhookRoute::ALL.iter().map(|route| route.path()).collect();
        paths.dedup();
        assert_eq!(paths.len(), WebhookRoute::ALL.len());
        assert_eq!(WebhookRoute::from_name("twilio-voice"), None);
    }
}

#[cfg(test)]
mod call_change_tests {
    use switchboard_core::CallState;

    use super::WebhookRoute;
    use crate::backends::twilio::TwilioNotice;
    use crate::backends::webhook::CallChange;

    fn change(route: WebhookRoute, body: &[u8]) -> Option<(Vec<String>, CallState)> {
        route.call_change(body).unwrap().map(|CallChange { provider_ids, state, .. }| (provider_ids, state))
    }

    #[test]
    fn each_provider_reports_states_by_its_own_ids() {
        let ids = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
        let twilio = b"CallSid=CA1&AccountSid=AC1&CallStatus=no-answer&SequenceNumber=3";
        assert_eq!(change(WebhookRoute::TwilioStatus, twilio), Some((ids(&["CA1"]), CallState::NoAnswer)));
        let human = b"CallSid=CA1&AccountSid=AC1&AnsweredBy=human";
        assert_eq!(change(WebhookRoute::TwilioAmd, human), Some((ids(&["CA1"]), CallState::InProgress)));
        let machine = WebhookRoute::TwilioAmd.call_change(b"CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_start");
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
        let error = WebhookRoute::TwilioStatus.call_change(b"CallStatus=ringing").unwrap_err();
        assert!(error.to_string().starts_with("Twilio status callback could not be read"), "{error}");
    }
}
