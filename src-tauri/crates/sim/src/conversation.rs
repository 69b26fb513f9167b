//! The script of a simulated call: the agent's first message, a question for every data field
//! the agent collects, the persona's answers, and a goodbye.

use switchboard_core::Speaker;
use switchboard_engine::CallRequest;

use crate::persona::VendorPersona;

/// One utterance of the script, and the field it yields, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
    pub field: Option<(String, String)>,
}

impl Turn {
    fn says(speaker: Speaker, text: impl Into<String>) -> Self {
        Self { speaker, text: text.into(), field: None }
    }
}

/// The quote conversation between the agent in `request` and `persona`.
pub fn quote_conversation(request: &CallRequest, persona: &VendorPersona) -> Vec<Turn> {
    let vendor = &request.contact;
    let mut turns = vec![
        Turn::says(Speaker::Agent, request.first_message.clone()),
        Turn::says(
            Speaker::Callee,
            format!("Yes, this is {}, {} speaking. How can I help?", vendor.fields.name, persona.first_name),
        ),
    ];
    for field in &request.agent.config.data_fields {
        turns.push(Turn::says(
            Speaker::Agent,
            format!("Could you tell me the {}?", lowercase_first(&field.description)),
        ));
        let quantity = vendor.fields.vendor().map_or(0, |details| details.quantity);
        match persona.answer(&field.key, quantity) {
            Some((line, value)) => {
                turns.push(Turn { speaker: Speaker::Callee, text: line, field: Some((field.key.clone(), value)) });
            }
            None => turns.push(Turn::says(Speaker::Callee, "I'd have to check on that and get back to you.")),
        }
    }
    turns.push(Turn::says(Speaker::Agent, "Thank you, that's everything I needed. Have a good day."));
    turns.push(Turn::says(Speaker::Callee, format!("You too, {}. Bye now.", request.agent.config.organization)));
    turns
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.trim().trim_end_matches(['.', '?']).chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
