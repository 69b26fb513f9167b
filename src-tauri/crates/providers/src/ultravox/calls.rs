//! Ultravox calls: creating one (its `joinUrl` goes into Twilio's `<Connect><Stream>`) and
//! reading it back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CallTemplate;
use super::agents::duration;

/// A call with its whole configuration given inline (no agent).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectCall {
    #[serde(flatten)]
    pub template: CallTemplate,
    /// How long Ultravox waits for Twilio to connect before ending the call as `unjoined`.
    #[serde(rename = "joinTimeout", skip_serializing_if = "Option::is_none", serialize_with = "duration")]
    pub join_timeout_secs: Option<u32>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Nobody joined before the join timeout.
    Unjoined,
    /// The callee hung up.
    Hangup,
    AgentHangup,
    Timeout,
    ConnectionError,
    SystemError,
    #[serde(other)]
    Other,
}

/// An Ultravox call, as created, fetched, or carried by a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UltravoxCall {
    pub call_id: String,
    /// `wss://…`: the `<Stream url>` that joins Twilio's audio to the call.
    pub join_url: Option<String>,
    pub created: Option<String>,
    pub joined: Option<String>,
    pub ended: Option<String>,
    pub end_reason: Option<EndReason>,
    pub short_summary: Option<String>,
    pub summary: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{DirectCall, EndReason, UltravoxCall};
    use crate::ultravox::CallTemplate;

    #[test]
    fn a_direct_call_body_is_the_template_plus_call_fields() {
        let call = DirectCall {
            template: CallTemplate {
                system_prompt: "p".into(),
                model: Some("fixie-ai/ultravox".into()),
                max_duration_secs: Some(600),
                ..Default::default()
            },
            join_timeout_secs: Some(30),
            metadata: [("switchboardCallId".to_owned(), "7".to_owned())].into(),
        };
        assert_eq!(
            serde_json::to_value(&call).unwrap(),
            json!({"systemPrompt":"p","model":"fixie-ai/ultravox","firstSpeakerSettings":{"user":{}},
                   "maxDuration":"600s","recordingEnabled":false,"medium":{"twilio":{}},
                   "joinTimeout":"30s","metadata":{"switchboardCallId":"7"}})
        );
    }

    #[test]
    fn reads_a_call_with_unknown_fields_and_end_reasons() {
        let call: UltravoxCall = serde_json::from_value(json!({
            "callId": "c1", "joinUrl": "wss://voice.ultravox.ai/calls/c1/telephony", "created": "2025-02-18T10:00:00Z",
            "ended": "2025-02-18T10:03:00Z", "endReason": "agent_hangup", "shortSummary": "Quoted.",
            "metadata": {"switchboardCallId": "7"}, "firstSpeaker": "FIRST_SPEAKER_AGENT"
        }))
        .unwrap();
        assert_eq!(call.end_reason, Some(EndReason::AgentHangup));
        assert_eq!(call.metadata["switchboardCallId"], "7");
        let odd: UltravoxCall = serde_json::from_value(json!({"callId": "c2", "endReason": "moon"})).unwrap();
        assert_eq!(odd.end_reason, Some(EndReason::Other));
    }
}
