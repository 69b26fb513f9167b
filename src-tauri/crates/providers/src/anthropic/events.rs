//! The data of Anthropic's streaming events as they are on the wire, tagged by `type`. Unknown
//! events, blocks and deltas (thinking, citations, …) are read as `Unknown` and passed over.

use serde::{Deserialize, Serialize};

/// One SSE event's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    MessageStart {
        message: MessageStart,
    },
    ContentBlockStart {
        index: u32,
        content_block: StartedBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: DeltaUsage,
    },
    MessageStop,
    Ping,
    Error {
        error: ApiError,
    },
    #[serde(other)]
    Unknown,
}

/// The message as it begins: no content yet, the prompt's token count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageStart {
    pub id: String,
    pub model: String,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StartedBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    /// A tool call; its `input` is `{}` here and arrives in `input_json_delta` parts.
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: serde_json::Value,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageDelta {
    pub stop_reason: Option<StopReason>,
    pub stop_sequence: Option<String>,
}

/// Cumulative counts at the end of the message; `input_tokens` only in newer API versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeltaUsage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u32>,
    pub output_tokens: u32,
}

/// Tokens billed for a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    /// It called a tool: answer with a `tool_result` and ask again.
    ToolUse,
    PauseTurn,
    Refusal,
    #[serde(other)]
    Other,
}

/// An error reported mid-stream, e.g. `overloaded_error`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{BlockDelta, ServerEvent, StartedBlock, StopReason};

    fn read(value: serde_json::Value) -> ServerEvent {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn reads_the_documented_events_and_passes_over_new_ones() {
        assert!(matches!(
            read(json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                "content": [], "model": "claude-x", "stop_reason": null, "usage": {"input_tokens": 25, "output_tokens": 1}}})),
            ServerEvent::MessageStart { message } if message.usage.input_tokens == 25
        ));
        assert!(matches!(
            read(json!({"type": "content_block_start", "index": 1,
                        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "end_call", "input": {}}})),
            ServerEvent::ContentBlockStart { index: 1, content_block: StartedBlock::ToolUse { .. } }
        ));
        assert!(matches!(
            read(
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}})
            ),
            ServerEvent::ContentBlockStart { content_block: StartedBlock::Unknown, .. }
        ));
        assert!(matches!(
            read(json!({"type": "content_block_delta", "index": 1,
                        "delta": {"type": "input_json_delta", "partial_json": "{\"reason\": "}})),
            ServerEvent::ContentBlockDelta { delta: BlockDelta::InputJsonDelta { .. }, .. }
        ));
        assert!(matches!(
            read(json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
                        "usage": {"output_tokens": 15}})),
            ServerEvent::MessageDelta { delta, usage } if delta.stop_reason == Some(StopReason::ToolUse) && usage.output_tokens == 15
        ));
        assert!(matches!(
            read(json!({"type": "message_delta", "delta": {"stop_reason": "model_context_window_exceeded"}, "usage": {}})),
            ServerEvent::MessageDelta { delta, .. } if delta.stop_reason == Some(StopReason::Other)
        ));
        assert_eq!(read(json!({"type": "ping"})), ServerEvent::Ping);
        assert_eq!(read(json!({"type": "message_stop"})), ServerEvent::MessageStop);
        assert_eq!(read(json!({"type": "brand_new_event", "x": 1})), ServerEvent::Unknown);
        assert!(matches!(
            read(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
            ServerEvent::Error { error } if error.kind == "overloaded_error"
        ));
    }
}
