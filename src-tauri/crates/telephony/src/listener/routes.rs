//! The listener's paths, and which provider and inbox route each webhook path belongs to.

use switchboard_providers::Provider;

/// Twilio asks this URL what to do when a call connects (answered with TwiML).
pub const TWILIO_VOICE_PATH: &str = "/twilio/voice";
/// Twilio posts what a speech-gather call's `<Gather>` heard here (answered with TwiML).
pub const TWILIO_GATHER_PATH: &str = "/twilio/gather";
/// Twilio opens the call's media stream WebSocket here.
pub const TWILIO_MEDIA_PATH: &str = "/twilio/media";
/// Ultravox agents' `record_field` tool posts each value here (see [`ultravox_tool`](super::ultravox_tool)).
pub const ULTRAVOX_TOOL_PATH: &str = "/ultravox/tools/record-field";
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

    /// The name kept in the inbox's `route` column.
    pub fn name(self) -> &'static str {
        match self {
            Self::TwilioStatus => "twilio-status",
            Self::TwilioRecording => "twilio-recording",
            Self::TwilioAmd => "twilio-amd",
            Self::ElevenLabs => "elevenlabs",
            Self::Ultravox => "ultravox",
            Self::Vapi => "vapi",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.name() == name)
    }

    /// Where the provider posts it.
    pub fn path(self) -> &'static str {
        match self {
            Self::TwilioStatus => "/twilio/status",
            Self::TwilioRecording => "/twilio/recording",
            Self::TwilioAmd => "/twilio/amd",
            Self::ElevenLabs => "/elevenlabs/webhook",
            Self::Ultravox => "/ultravox/events",
            Self::Vapi => "/vapi/events",
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            Self::TwilioStatus | Self::TwilioRecording | Self::TwilioAmd => Provider::Twilio,
            Self::ElevenLabs => Provider::ElevenLabs,
            Self::Ultravox => Provider::Ultravox,
            Self::Vapi => Provider::Vapi,
        }
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
