//! The agent's next turn from the language model: the session's prompt (with the fields still
//! to collect), the conversation so far, and the tools `record_field`, `end_call` and (when the
//! agent has a transfer number) `transfer_call`. The streamed answer is collected whole: its
//! text is what `<Say>` speaks, its tool calls are acted on.

use serde_json::Value;
use switchboard_core::{CallUsage, Speaker};
use switchboard_providers::ProviderError;
use switchboard_providers::anthropic::{
    AnthropicClient, ContentBlock, Message, MessageRequest, Role, StopReason, StreamEvent, Tool,
};

use super::session::Session;
use switchboard_voice::agent_tools::{self, ToolCall};

/// What the model wants said and done this turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AgentTurn {
    pub(crate) text: String,
    /// Values collected, for fields the agent has (others are dropped).
    pub(crate) fields: Vec<(String, String)>,
    /// `end_call` with its reason.
    pub(crate) end: Option<String>,
    /// `transfer_call` with its reason.
    pub(crate) transfer: Option<String>,
    /// The tokens its requests used, as Anthropic reported them.
    pub(crate) usage: CallUsage,
}

/// Rounds of tool results the model may need before it says something.
const MAX_ROUNDS: usize = 3;

/// Asks the model for the agent's reply to the conversation in `session`.
pub(crate) async fn agent_turn(
    client: &AnthropicClient,
    model: &str,
    max_tokens: u32,
    session: &Session,
) -> Result<AgentTurn, ProviderError> {
    let mut request = MessageRequest {
        model: model.to_owned(),
        max_tokens,
        system: system_prompt(session),
        messages: conversation(session),
        tools: tools(session),
    };
    let mut turn = AgentTurn::default();
    for _ in 0..MAX_ROUNDS {
        let mut stream = client.stream_message(&request).await?;
        let (mut text, mut calls, mut stop) = (String::new(), Vec::new(), None);
        while let Some(event) = stream.next().await {
            match event? {
                StreamEvent::TextDelta(delta) => text.push_str(&delta),
                StreamEvent::ToolUse { id, name, input } => calls.push((id, name, input)),
                StreamEvent::Stop { reason, usage } => {
                    turn.usage.llm_input_tokens += u64::from(usage.input_tokens);
                    turn.usage.llm_output_tokens += u64::from(usage.output_tokens);
                    stop = reason;
                }
            }
        }
        let text = text.trim().to_owned();
        if !text.is_empty() {
            if !turn.text.is_empty() {
                turn.text.push(' ');
            }
            turn.text.push_str(&text);
        }
        for (_, name, input) in &calls {
            apply_tool(&mut turn, session, name, input);
        }
        let wants_results = stop == Some(StopReason::ToolUse) && !calls.is_empty();
        if !wants_results || !turn.text.is_empty() || turn.end.is_some() || turn.transfer.is_some() {
            break;
        }
        // Only fields were recorded: hand back the results and ask for what to say.
        let mut content: Vec<ContentBlock> =
            if text.is_empty() { Vec::new() } else { vec![ContentBlock::Text { text }] };
        let results = calls
            .iter()
            .map(|(id, _, _)| ContentBlock::ToolResult { tool_use_id: id.clone(), content: "recorded".into() })
            .collect();
        content.extend(calls.into_iter().map(|(id, name, input)| ContentBlock::ToolUse { id, name, input }));
        request.messages.push(Message { role: Role::Assistant, content });
        request.messages.push(Message { role: Role::User, content: results });
    }
    Ok(turn)
}

fn apply_tool(turn: &mut AgentTurn, session: &Session, name: &str, input: &Value) {
    let or = |reason: String, fallback: &str| if reason.is_empty() { fallback.to_owned() } else { reason };
    match agent_tools::read(name, input, &session.fields) {
        ToolCall::RecordField { key, value } => turn.fields.push((key, value)),
        ToolCall::EndCall { reason } => turn.end = Some(or(reason, "the agent ended the call")),
        ToolCall::Transfer { reason } if session.transfer_to.is_some() => {
            turn.transfer = Some(or(reason, "the callee asked for a person"));
        }
        ToolCall::Transfer { .. } => tracing::warn!("the model asked to transfer, with no transfer number; ignored"),
        ToolCall::Invalid { reason } => {
            tracing::warn!(tool = name, reason, "a tool call the agent cannot act on; ignored")
        }
    }
}

/// The agent's prompt, then how to behave on a phone line and where the collection stands.
fn system_prompt(session: &Session) -> String {
    let mut prompt = session.system_prompt.trim().to_owned();
    prompt.push_str(
        "\n\nYou are on a phone call: each reply is spoken aloud, so keep it to one or two short \
         sentences with no lists or markup. Record each value the callee gives with record_field. \
         Call end_call when the conversation is over.",
    );
    let remaining: Vec<String> = session
        .still_to_collect()
        .map(|field| {
            let need = if field.required { "required" } else { "optional" };
            format!("- {}: {} ({need})", field.key, field.description)
        })
        .collect();
    if remaining.is_empty() {
        prompt.push_str("\nEvery field is collected.");
    } else {
        prompt.push_str("\nStill to collect, in this order:\n");
        prompt.push_str(&remaining.join("\n"));
    }
    if !session.collected.is_empty() {
        prompt.push_str("\nAlready collected:\n");
        let collected: Vec<String> = session.collected.iter().map(|(key, value)| format!("- {key}: {value}")).collect();
        prompt.push_str(&collected.join("\n"));
    }
    prompt
}

/// The turns as alternating messages (the call's answer opens it, since the agent speaks
/// first); consecutive turns of one speaker are joined.
fn conversation(session: &Session) -> Vec<Message> {
    let mut messages = vec![Message::user("(The callee picks up the phone.)")];
    for turn in &session.turns {
        let role = match turn.speaker {
            Speaker::Agent => Role::Assistant,
            Speaker::Callee => Role::User,
        };
        match messages.last_mut() {
            Some(last) if last.role == role => {
                if let Some(ContentBlock::Text { text }) = last.content.last_mut() {
                    text.push(' ');
                    text.push_str(&turn.text);
                }
            }
            _ => messages.push(Message { role, content: vec![ContentBlock::Text { text: turn.text.clone() }] }),
        }
    }
    messages
}

/// The tools, as the realtime pipeline offers them.
fn tools(session: &Session) -> Vec<Tool> {
    agent_tools::tools(&session.fields, session.transfer_to.is_some())
}

#[cfg(test)]
mod tests {
    use switchboard_core::{DataField, FieldType, Speaker};

    use super::{conversation, system_prompt, tools};
    use crate::gather::session::{Session, Turn};

    fn session() -> Session {
        let field = |key: &str, required| DataField {
            key: key.into(),
            field_type: FieldType::Text,
            description: format!("the {key}"),
            required,
        };
        Session {
            voice: "Polly.Joanna".into(),
            language: "en-US".into(),
            system_prompt: "You call Acme.\n\nEarlier calls with Acme:\n- quoted $4.10".into(),
            opening: "Hi".into(),
            transfer_to: None,
            fields: vec![field("unit_price", true), field("terms", false)],
            collected: [("unit_price".to_owned(), "$4.00".to_owned())].into(),
            turns: vec![
                Turn { speaker: Speaker::Agent, text: "Hi".into(), offset_ms: 0 },
                Turn { speaker: Speaker::Agent, text: "Are you there?".into(), offset_ms: 9 },
                Turn { speaker: Speaker::Callee, text: "Yes".into(), offset_ms: 12 },
            ],
            no_input: 0,
            llm_waits: 0,
            max_duration_secs: 300,
            answered_at: None,
            ended: None,
            dispatcher_lines: Vec::new(),
            unreported_usage: Default::default(),
        }
    }

    #[test]
    fn the_prompt_keeps_past_calls_and_says_what_is_left() {
        let prompt = system_prompt(&session());
        assert!(prompt.starts_with("You call Acme.\n\nEarlier calls with Acme:\n- quoted $4.10"), "{prompt}");
        assert!(prompt.contains("Still to collect, in this order:\n- terms: the terms (optional)"), "{prompt}");
        assert!(prompt.contains("Already collected:\n- unit_price: $4.00"), "{prompt}");
    }

    #[test]
    fn turns_alternate_from_a_user_message_and_tools_follow_the_agent() {
        let messages = serde_json::to_value(conversation(&session())).unwrap();
        assert_eq!(
            messages,
            serde_json::json!([
                {"role": "user", "content": [{"type": "text", "text": "(The callee picks up the phone.)"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "Hi Are you there?"}]},
                {"role": "user", "content": [{"type": "text", "text": "Yes"}]}])
        );
        let names: Vec<String> = tools(&session()).into_iter().map(|tool| tool.name).collect();
        assert_eq!(names, ["end_call", "record_field"]);
        let record = &tools(&session())[1];
        assert_eq!(record.input_schema["properties"]["field"]["enum"], serde_json::json!(["unit_price", "terms"]));
        let mut with_transfer = session();
        with_transfer.transfer_to = Some("+13125550100".into());
        assert!(tools(&with_transfer).iter().any(|tool| tool.name == "transfer_call"));
    }
}
