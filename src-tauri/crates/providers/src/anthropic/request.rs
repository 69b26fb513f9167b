//! What we ask the Messages API for: the model, the system prompt, the conversation so far
//! (text, tool calls and their results) and the tools the model may call.

use serde::{Deserialize, Serialize};

/// A request for one streamed assistant message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRequest {
    pub model: String,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub system: String,
    pub messages: Vec<Message>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
}

/// The request body: the request with `"stream": true`.
#[derive(Serialize)]
pub(super) struct Streamed<'a> {
    #[serde(flatten)]
    pub(super) request: &'a MessageRequest,
    pub(super) stream: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// What the caller said.
    pub fn user(text: impl Into<String>) -> Self {
        Self { role: Role::User, content: vec![ContentBlock::Text { text: text.into() }] }
    }

    /// What the agent said (only what was played, after a barge-in).
    pub fn assistant(text: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: vec![ContentBlock::Text { text: text.into() }] }
    }

    /// The answer to a tool call, which goes in the next user turn.
    pub fn tool_result(tool_use_id: impl Into<String>, content: impl Into<String>) -> Self {
        let result = ContentBlock::ToolResult { tool_use_id: tool_use_id.into(), content: content.into() };
        Self { role: Role::User, content: vec![result] }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    /// A tool call the model made, repeated in the assistant turn that made it.
    ToolUse {
        id: String,
        name: String,
        input: serde_json::Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
    },
}

/// A tool the model may call, e.g. `end_call`, `transfer_call`, `record_field`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    /// A JSON Schema object for the call's input.
    pub input_schema: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ContentBlock, Message, MessageRequest, Role, Streamed, Tool};

    #[test]
    fn the_body_streams_and_leaves_out_what_is_empty() {
        let request = MessageRequest {
            model: "claude-sonnet-4-5".into(),
            max_tokens: 300,
            system: String::new(),
            messages: vec![Message::user("Hi")],
            tools: Vec::new(),
        };
        assert_eq!(
            serde_json::to_value(Streamed { request: &request, stream: true }).unwrap(),
            json!({"model": "claude-sonnet-4-5", "max_tokens": 300, "stream": true,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]})
        );
    }

    #[test]
    fn a_tool_round_trip_has_the_documented_shapes() {
        let request = MessageRequest {
            model: "m".into(),
            max_tokens: 10,
            system: "You are a dispatcher.".into(),
            messages: vec![
                Message::user("Bye"),
                Message {
                    role: Role::Assistant,
                    content: vec![ContentBlock::ToolUse {
                        id: "toolu_1".into(),
                        name: "end_call".into(),
                        input: json!({"reason": "done"}),
                    }],
                },
                Message::tool_result("toolu_1", "ended"),
            ],
            tools: vec![Tool {
                name: "end_call".into(),
                description: "Hang up.".into(),
                input_schema: json!({"type": "object", "properties": {"reason": {"type": "string"}}}),
            }],
        };
        assert_eq!(
            serde_json::to_value(Streamed { request: &request, stream: true }).unwrap(),
            json!({"model": "m", "max_tokens": 10, "system": "You are a dispatcher.", "stream": true,
                   "messages": [
                       {"role": "user", "content": [{"type": "text", "text": "Bye"}]},
                       {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "end_call",
                                                          "input": {"reason": "done"}}]},
                       {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ended"}]}],
                   "tools": [{"name": "end_call", "description": "Hang up.",
                              "input_schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}]})
        );
    }
}
