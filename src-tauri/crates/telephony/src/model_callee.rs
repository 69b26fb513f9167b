//! The callee of a text rehearsal played by the Anthropic model in force, with the scenario as
//! its brief (who they are, how they behave, what they know, what the caller may ask): the
//! agent's words are its user turns, its answers the callee's, its `hang_up` tool the callee
//! hanging up. An answering machine and a silent line need no model and stay scripted; with no
//! key, every callee is the scripted one.

use std::sync::Arc;

use serde_json::json;
use switchboard_core::{Behaviour, Scenario};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{CalleeFactory, CalleeReply, CalleeSide, RehearsalCall, RehearsalError};
use switchboard_providers::anthropic::{AnthropicClient, Message, MessageRequest, StreamEvent, Tool};

use crate::ProviderClients;

/// How the callee's brief starts (the fakes recognise a callee's request by it).
pub const CALLEE_PROMPT: &str = "You are playing the callee on a phone call in a rehearsal of an AI agent.";
/// The tool the callee hangs up with.
pub const HANG_UP: &str = "hang_up";
const MODEL: &str = "claude-sonnet-4-5";
const MAX_TOKENS: u32 = 200;

/// Callees played by the model when the clients hold an Anthropic key, else by `scripted`.
pub fn model_callees(clients: ProviderClients, scripted: CalleeFactory) -> CalleeFactory {
    Arc::new(move |scenario: &Scenario, call: &RehearsalCall| -> Box<dyn CalleeSide> {
        let machine = matches!(scenario.callee.behaviour, Behaviour::Voicemail | Behaviour::Silent);
        match clients.current().anthropic.clone().filter(|_| !machine) {
            Some(client) => Box::new(ModelCallee { client, system: brief(scenario, call), messages: Vec::new() }),
            None => scripted(scenario, call),
        }
    })
}

/// One scenario's callee, played by the model.
struct ModelCallee {
    client: AnthropicClient,
    system: String,
    messages: Vec<Message>,
}

impl ModelCallee {
    async fn answer(&mut self, said: &str) -> Result<CalleeReply, RehearsalError> {
        let heard = if said.trim().is_empty() { "(silence)" } else { said };
        push_message(&mut self.messages, Message::user(heard));
        let request = MessageRequest {
            model: MODEL.into(),
            max_tokens: MAX_TOKENS,
            system: self.system.clone(),
            messages: self.messages.clone(),
            tools: vec![Tool {
                name: HANG_UP.into(),
                description: "Hang up, after your last words in the same reply.".into(),
                input_schema: json!({"type": "object", "properties": {}}),
            }],
        };
        let failed = |error: switchboard_providers::ProviderError| RehearsalError::Failed(error.to_string());
        let mut stream = self.client.stream_message(&request).await.map_err(failed)?;
        let (mut text, mut hangs_up) = (String::new(), false);
        while let Some(event) = stream.next().await {
            match event.map_err(failed)? {
                StreamEvent::TextDelta(delta) => text.push_str(&delta),
                StreamEvent::ToolUse { name, .. } => hangs_up |= name == HANG_UP,
                StreamEvent::Stop { .. } => {}
            }
        }
        let text = text.trim().to_owned();
        if !text.is_empty() {
            push_message(&mut self.messages, Message::assistant(&text));
        }
        Ok(match (hangs_up, text.is_empty()) {
            (true, _) => CalleeReply::HangsUp(text),
            (false, true) => CalleeReply::Silent,
            (false, false) => CalleeReply::Says(text),
        })
    }
}

impl CalleeSide for ModelCallee {
    fn machine_greeting(&self) -> Option<String> {
        None
    }

    fn reply<'a>(&'a mut self, said: &'a str) -> BoxFuture<'a, Result<CalleeReply, RehearsalError>> {
        Box::pin(self.answer(said))
    }
}

/// The scenario as the callee's brief.
fn brief(scenario: &Scenario, call: &RehearsalCall) -> String {
    let callee = &scenario.callee;
    let mut text = format!(
        "{CALLEE_PROMPT} Stay in character and answer in one or two short spoken sentences; call {HANG_UP} \
         when you would hang up.\nThe caller is calling for: {}\nWho you are: {}\nHow you behave: {}: {}.\n",
        call.contact.fields.name,
        callee.who,
        callee.behaviour.as_str(),
        callee.behaviour.describe()
    );
    text.push_str("What you know:\n");
    for (key, value) in &callee.knows {
        let value = switchboard_core::render(value, &call.variables).unwrap_or_else(|_| value.clone());
        text.push_str(&format!("- {key}: {value}\n"));
    }
    text.push_str("What the caller may ask for:\n");
    for field in &call.agent.config.data_fields {
        text.push_str(&format!("- {}: {}\n", field.key, field.description));
    }
    text
}

/// Appends `message`, merged into the last one when they share a role (after a silence the
/// agent speaks twice in a row).
fn push_message(messages: &mut Vec<Message>, message: Message) {
    match messages.last_mut() {
        Some(last) if last.role == message.role => last.content.extend(message.content),
        _ => messages.push(message),
    }
}
