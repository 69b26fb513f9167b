//! Vapi's Chat API (`POST /chat`): one text turn with an assistant, each turn chained to the one
//! before by `previousChatId`, so a caller's words can be typed to the assistant and its replies
//! (and the tools it calls) read back without a phone call.

use serde::{Deserialize, Serialize};

use crate::Variables;

/// One turn to send: what the other party says to the assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct VapiChatRequest {
    pub assistant_id: String,
    pub input: String,
    /// The chat this turn follows (`None` for the first).
    pub previous_chat_id: Option<String>,
    /// Values for the assistant's `{{name}}` placeholders.
    pub variable_values: Variables,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChatWire<'a> {
    assistant_id: &'a str,
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_chat_id: Option<&'a str>,
    assistant_overrides: Overrides<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Overrides<'a> {
    variable_values: &'a Variables,
}

impl VapiChatRequest {
    pub(super) fn wire(&self) -> ChatWire<'_> {
        ChatWire {
            assistant_id: &self.assistant_id,
            input: &self.input,
            previous_chat_id: self.previous_chat_id.as_deref(),
            assistant_overrides: Overrides { variable_values: &self.variable_values },
        }
    }
}

/// A chat turn as Vapi answers it (`Chat`): its id (the next turn's `previousChatId`) and what
/// the assistant put out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VapiChat {
    pub id: String,
    #[serde(default)]
    pub output: Vec<ChatMessage>,
    /// USD.
    pub cost: Option<f64>,
}

impl VapiChat {
    /// What the assistant said in this turn, its messages joined by a space.
    pub fn reply(&self) -> String {
        let said: Vec<&str> = self
            .output
            .iter()
            .filter(|message| message.role == "assistant")
            .filter_map(|message| message.content.as_deref())
            .map(str::trim)
            .filter(|content| !content.is_empty())
            .collect();
        said.join(" ")
    }

    /// The tools the assistant called in this turn, in order.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ChatFunction> {
        self.output.iter().flat_map(|message| message.tool_calls.iter().map(|call| &call.function))
    }
}

/// One output message (`AssistantMessage`, `ToolMessage`, …: told apart by `role`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Vec<ChatToolCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatToolCall {
    pub id: String,
    pub function: ChatFunction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatFunction {
    pub name: String,
    /// The arguments, as a JSON text.
    pub arguments: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{VapiChat, VapiChatRequest};

    #[test]
    fn a_turn_names_the_assistant_its_words_the_chat_before_and_the_variables() {
        let mut request = VapiChatRequest {
            assistant_id: "asst_1".into(),
            input: "Hello, Acme.".into(),
            previous_chat_id: None,
            variable_values: [("vendor_name".to_owned(), "Acme".into())].into(),
        };
        assert_eq!(
            serde_json::to_value(request.wire()).unwrap(),
            json!({"assistantId": "asst_1", "input": "Hello, Acme.",
                   "assistantOverrides": {"variableValues": {"vendor_name": "Acme"}}})
        );
        request.previous_chat_id = Some("chat_1".into());
        assert_eq!(serde_json::to_value(request.wire()).unwrap()["previousChatId"], "chat_1");
    }

    #[test]
    fn reads_the_reply_and_the_tools_called() {
        let chat: VapiChat = serde_json::from_value(json!({
            "id": "chat_2", "orgId": "org_1", "assistantId": "asst_1", "previousChatId": "chat_1",
            "input": "It's $4.50 a unit.",
            "messages": [{"role": "user", "content": "Hello, Acme."}],
            "output": [
                {"role": "assistant", "content": "Thank you. ",
                 "tool_calls": [{"id": "call_1", "type": "function",
                                 "function": {"name": "record_field", "arguments": "{\"key\":\"unit_price\"}"}}]},
                {"role": "tool", "content": "ok", "tool_call_id": "call_1"},
                {"role": "assistant", "content": "What is the lead time?"}
            ],
            "createdAt": "2026-12-06T22:00:00.000Z", "updatedAt": "2026-12-06T22:00:01.000Z", "cost": 0.0012
        }))
        .unwrap();
        assert_eq!(chat.reply(), "Thank you. What is the lead time?");
        let tools: Vec<_> = chat.tool_calls().map(|call| call.name.as_str()).collect();
        assert_eq!(tools, ["record_field"]);
        assert_eq!(chat.cost, Some(0.0012));
    }
}
