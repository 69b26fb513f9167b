//! Ultravox webhooks: `{"event": "call.ended", "call": {…}}`. They are retried and may repeat,
//! and their signature scheme is not pinned down here: confirm an ended call with `get_call`.

use serde::{Deserialize, Serialize};

use super::UltravoxCall;
use crate::Provider;
use crate::payload::{PayloadError, parse_json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UltravoxEvent {
    #[serde(rename = "call.started")]
    Started,
    #[serde(rename = "call.joined")]
    Joined,
    #[serde(rename = "call.ended")]
    Ended,
    #[serde(rename = "call.billed")]
    Billed,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UltravoxWebhook {
    pub event: UltravoxEvent,
    pub call: UltravoxCall,
}

impl UltravoxWebhook {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_json(Provider::Ultravox, "webhook", body)
    }
}

#[cfg(test)]
mod tests {
    use super::{UltravoxEvent, UltravoxWebhook};
    use crate::ultravox::EndReason;

    #[test]
    fn reads_call_events() {
        let ended =
            UltravoxWebhook::parse(br#"{"event":"call.ended","call":{"callId":"c1","endReason":"hangup"}}"#).unwrap();
        assert_eq!(ended.event, UltravoxEvent::Ended);
        assert_eq!(ended.call.end_reason, Some(EndReason::Hangup));
        let later = UltravoxWebhook::parse(br#"{"event":"call.transcribed","call":{"callId":"c1"}}"#).unwrap();
        assert_eq!(later.event, UltravoxEvent::Other);
        assert!(UltravoxWebhook::parse(br#"{"event":"call.ended"}"#).is_err());
    }
}
