//! A Vapi assistant rehearsed over Vapi's Chat API: the agent's side of the engine's turn loop,
//! each callee line sent as a chat turn chained to the one before, the assistant's reply and
//! tool calls read back. Its greeting is the call's first message, which Vapi says itself on a
//! call (the Chat API does not).

use switchboard_core::{DataField, RehearsalEnding};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{AgentReply, AgentSide, RehearsalCall, RehearsalError};
use switchboard_providers::VariableValue;
use switchboard_providers::vapi::{VapiChatRequest, VapiClient};

use super::tool_calls::ToolEffects;

/// What the assistant is told when the callee says nothing (a chat turn needs words).
const SILENCE: &str = "(The callee says nothing.)";

/// The assistant of a call, talking over Vapi's chats.
pub(super) struct VapiAgent {
    client: VapiClient,
    request: VapiChatRequest,
    first_message: String,
    fields: Vec<DataField>,
}

impl VapiAgent {
    pub(super) fn new(client: VapiClient, call: &RehearsalCall) -> Self {
        let config = &call.agent.config;
        let request = VapiChatRequest {
            assistant_id: config.backend_settings.vapi.assistant_id.clone(),
            input: String::new(),
            previous_chat_id: None,
            variable_values: call
                .variables
                .iter()
                .map(|(name, value)| (name.clone(), VariableValue::Text(value.clone())))
                .collect(),
        };
        Self { client, request, first_message: call.first_message.clone(), fields: config.data_fields.clone() }
    }
}

impl AgentSide for VapiAgent {
    fn turn<'a>(&'a mut self, heard: Option<&'a str>) -> BoxFuture<'a, Result<AgentReply, RehearsalError>> {
        Box::pin(async move {
            let Some(heard) = heard else {
                return Ok(AgentReply { text: self.first_message.clone(), ..AgentReply::default() });
            };
            self.request.input = if heard.trim().is_empty() { SILENCE.to_owned() } else { heard.to_owned() };
            let chat =
                self.client.chat(&self.request).await.map_err(|error| RehearsalError::Failed(error.to_string()))?;
            self.request.previous_chat_id = Some(chat.id.clone());
            let mut effects = ToolEffects::default();
            for call in chat.tool_calls() {
                effects.apply(&call.name, &call.arguments, &self.fields);
            }
            let mut reply = AgentReply {
                text: chat.reply(),
                fields: effects.fields.into_iter().collect(),
                ..AgentReply::default()
            };
            match effects.ending {
                Some(RehearsalEnding::Agent { reason }) => reply.end = Some(reason),
                Some(RehearsalEnding::Transferred { reason }) => reply.transfer = Some(reason),
                _ => {}
            }
            Ok(reply)
        })
    }
}
