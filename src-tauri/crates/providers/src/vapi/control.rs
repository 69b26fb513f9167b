//! Vapi's live call control: the messages POSTed to a call's `monitor.controlUrl` while it is
//! on the line (end it, transfer it to a number, add a message to the assistant's context, or
//! have the assistant say a line). Shapes follow vapi-server-sdk's `ClientInboundMessageMessage`
//! union (tagged by `type`) and its `OpenAiMessage` and `TransferDestinationNumber`.

use serde::Serialize;

/// One control message for a live call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ControlMessage {
    /// Ends the call now.
    EndCall,
    /// Transfers the call to `destination` (the assistant leaves it).
    Transfer { destination: TransferDestination },
    /// Adds `message` to the conversation; with `trigger_response_enabled` false the assistant
    /// takes it in silently and follows it from its next turn.
    #[serde(rename_all = "camelCase")]
    AddMessage { message: ContextMessage, trigger_response_enabled: bool },
    /// The assistant says `content` next (not cutting itself off, not ending the call).
    #[serde(rename_all = "camelCase")]
    Say { content: String, end_call_after_spoken: bool },
}

/// Where a transfer goes: a phone number (E.164).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TransferDestination {
    Number { number: String },
}

/// A message for the assistant's context (`OpenAiMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextMessage {
    /// `system` for a note the callee does not hear.
    pub role: &'static str,
    pub content: String,
}

impl ControlMessage {
    /// Transfers the call to `number`.
    pub fn transfer_to(number: impl Into<String>) -> Self {
        Self::Transfer { destination: TransferDestination::Number { number: number.into() } }
    }

    /// A note the assistant follows from its next turn, added to its context as a system
    /// message without making it answer at once.
    pub fn note(note: impl Into<String>) -> Self {
        Self::AddMessage {
            message: ContextMessage { role: "system", content: note.into() },
            trigger_response_enabled: false,
        }
    }

    /// A line the assistant says next.
    pub fn say(line: impl Into<String>) -> Self {
        Self::Say { content: line.into(), end_call_after_spoken: false }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::ControlMessage;

    #[test]
    fn each_control_message_has_the_sdks_shape() {
        let wire = |message: ControlMessage| serde_json::to_value(message).unwrap();
        assert_eq!(wire(ControlMessage::EndCall), json!({"type": "end-call"}));
        assert_eq!(
            wire(ControlMessage::transfer_to("+13125550100")),
            json!({"type": "transfer", "destination": {"type": "number", "number": "+13125550100"}})
        );
        assert_eq!(
            wire(ControlMessage::note("Ask about freight")),
            json!({"type": "add-message", "message": {"role": "system", "content": "Ask about freight"},
                   "triggerResponseEnabled": false})
        );
        assert_eq!(
            wire(ControlMessage::say("One moment")),
            json!({"type": "say", "content": "One moment", "endCallAfterSpoken": false})
        );
    }
}
