//! The models behind a hosted provider's text conversations (Vapi's chats, ElevenLabs' simulation
//! tests): a conversation so far put to a [`Responder`] as an Anthropic Messages request, from
//! the side of whoever speaks next, and its reply read back as words and tool calls.

use serde_json::{Value, json};
use switchboard_core::Speaker;

use super::anthropic::{Block, Responder};

/// One line of a text conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub speaker: Speaker,
    pub text: String,
}

/// What a model answered: its words and the tools it called (name and input).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub text: String,
    pub tools: Vec<(String, Value)>,
}

/// Asks `model`, which plays `speaker`, for its next line: `system` is its brief, the lines are
/// its own (`assistant`) or the other party's (`user`), and `tools` are offered by name.
pub fn ask(model: &Responder, speaker: Speaker, system: &str, lines: &[Line], tools: &[&str]) -> Answer {
    let messages: Vec<Value> = lines
        .iter()
        .map(|line| {
            let role = if line.speaker == speaker { "assistant" } else { "user" };
            json!({"role": role, "content": [{"type": "text", "text": line.text}]})
        })
        .collect();
    let tools: Vec<Value> =
        tools.iter().map(|name| json!({"name": name, "input_schema": {"type": "object"}})).collect();
    let request = json!({"model": "fake", "max_tokens": 1024, "system": system, "messages": messages, "tools": tools});
    let mut answer = Answer::default();
    for block in model(&request).blocks {
        match block {
            Block::Text(text) => {
                if !answer.text.is_empty() {
                    answer.text.push(' ');
                }
                answer.text.push_str(text.trim());
            }
            Block::Tool { name, input } => answer.tools.push((name, input)),
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::Speaker;

    use super::{Line, ask};
    use crate::anthropic::{Reply, Responder, last_user_text};

    #[test]
    fn the_model_hears_the_other_party_as_the_user_and_answers_with_words_and_tools() {
        let model: Responder = Box::new(|request| {
            assert_eq!(request["system"], "You are the callee.");
            assert_eq!(request["messages"][0]["role"], "user");
            assert_eq!(request["messages"][1]["role"], "assistant");
            assert_eq!(request["tools"][0]["name"], "end_call");
            Reply::text(&format!("You said: {}", last_user_text(request)))
                .and_text("Bye.")
                .and_tool("end_call", json!({"reason": "done"}))
        });
        let lines = [
            Line { speaker: Speaker::Agent, text: "Hi, this is Northwind.".into() },
            Line { speaker: Speaker::Callee, text: "Hello.".into() },
            Line { speaker: Speaker::Agent, text: "Goodbye.".into() },
        ];
        let answer = ask(&model, Speaker::Callee, "You are the callee.", &lines, &["end_call"]);
        assert_eq!(answer.text, "You said: Goodbye. Bye.");
        assert_eq!(answer.tools, [("end_call".to_owned(), json!({"reason": "done"}))]);
    }
}
