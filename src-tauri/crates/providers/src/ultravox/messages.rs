//! A call's messages (`GET /api/calls/{callId}/messages`, paged `{results, next}`): what was
//! said, and the tools the agent called. Not pinned (docs/providers.md#ultravox): read tolerantly, every field
//! optional and unknown roles kept as [`MessageRole::Other`].

use serde::{Deserialize, Serialize};

/// Who a message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageRole {
    #[serde(rename = "MESSAGE_ROLE_USER")]
    User,
    #[serde(rename = "MESSAGE_ROLE_AGENT")]
    Agent,
    /// The agent called a tool; `text` holds the arguments as JSON.
    #[serde(rename = "MESSAGE_ROLE_TOOL_CALL")]
    ToolCall,
    #[serde(rename = "MESSAGE_ROLE_TOOL_RESULT")]
    ToolResult,
    #[serde(other)]
    Other,
}

/// When in the call a message was said, as Ultravox durations (`"12.5s"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timespan {
    pub start: Option<String>,
    pub end: Option<String>,
}

impl Timespan {
    /// The start in milliseconds since the call joined, when it reads as a duration.
    pub fn start_millis(&self) -> Option<u32> {
        let secs: f64 = self.start.as_deref()?.trim().strip_suffix('s')?.parse().ok()?;
        (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round().min(f64::from(u32::MAX)) as u32)
    }
}

/// One message of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallMessage {
    pub role: MessageRole,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub tool_name: Option<String>,
    #[serde(default)]
    pub invocation_id: Option<String>,
    #[serde(default)]
    pub timespan: Option<Timespan>,
}

/// One page of messages; `next` is the URL of the following page.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct MessagePage {
    #[serde(default)]
    pub(super) results: Vec<CallMessage>,
    #[serde(default)]
    pub(super) next: Option<String>,
}

/// The `cursor` query value of a `next` page URL.
pub(super) fn next_cursor(next: &str) -> Option<String> {
    let query = next.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "cursor").map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{CallMessage, MessagePage, MessageRole, next_cursor};

    #[test]
    fn reads_messages_with_tool_calls_and_unknown_roles() {
        let page: MessagePage = serde_json::from_value(json!({
            "results": [
                {"role": "MESSAGE_ROLE_AGENT", "text": "Hi.", "medium": "MESSAGE_MEDIUM_VOICE",
                 "callStageMessageIndex": 0, "timespan": {"start": "0.600s", "end": "1.2s"}},
                {"role": "MESSAGE_ROLE_TOOL_CALL", "text": "{\"key\":\"unit_price\"}", "toolName": "record_field",
                 "invocationId": "inv_1"},
                {"role": "MESSAGE_ROLE_SOMETHING_NEW"}
            ],
            "next": "https://api.ultravox.ai/api/calls/c1/messages?cursor=cD0y&pageSize=100", "total": 9
        }))
        .unwrap();
        let first: &CallMessage = &page.results[0];
        assert_eq!(first.timespan.as_ref().unwrap().start_millis(), Some(600));
        assert_eq!(page.results[1].role, MessageRole::ToolCall);
        assert_eq!(page.results[1].tool_name.as_deref(), Some("record_field"));
        assert_eq!(page.results[2].role, MessageRole::Other);
        assert_eq!(next_cursor(page.next.as_deref().unwrap()).as_deref(), Some("cD0y"));
        assert_eq!(next_cursor("https://api.ultravox.ai/api/calls/c1/messages"), None);
    }
}
