//! The model playing a quote agent, as a responder for the fake Anthropic
//! ([`super::anthropic`]): it knows what the simulator's vendor personas say, so it records a
//! field (`record_field`) when the callee's last words give one, asks for the next field still
//! missing (required ones first) in the simulator's words, hands over to a person
//! (`transfer_call`) when asked for one, and says goodbye with `end_call` once every field is in.

use std::collections::HashMap;

use serde_json::{Value, json};
use switchboard_core::{Agent, Contact, DataField};

use super::anthropic::{Block, Reply, Responder};
use switchboard_sim::SimSettings;
use switchboard_sim::conversation::field_question;
use switchboard_sim::persona::VendorPersona;

/// Words that ask for a person rather than the agent.
const WANTS_A_PERSON: [&str; 4] = ["a person", "a human", "dispatcher", "manager"];

/// A quote agent that understands the simulator's vendors.
pub struct QuoteAgent {
    /// The agent's fields, required ones first.
    fields: Vec<DataField>,
    /// What a vendor says for a field → the field and its value.
    answers: HashMap<String, (String, String)>,
}

impl QuoteAgent {
    /// The agent in `agent` calling `vendors`, whose personas are the simulator's with `sim`.
    pub fn new(agent: &Agent, vendors: &[Contact], sim: &SimSettings) -> Self {
        let mut fields = agent.config.data_fields.clone();
        fields.sort_by_key(|field| !field.required);
        let mut answers = HashMap::new();
        for vendor in vendors {
            let Some(phone) = &vendor.phone_e164 else { continue };
            let persona = VendorPersona::for_vendor(phone, None, sim.seed, sim.cast);
            for field in &fields {
                if let Some((line, value)) = persona.answer(&field.key, 0) {
                    answers.insert(line, (field.key.clone(), value));
                }
            }
        }
        Self { fields, answers }
    }

    /// The fake's responder playing this agent.
    pub fn responder(self) -> Responder {
        Box::new(move |request| self.respond(request))
    }

    /// The field and value a callee's words give, if they give one.
    fn heard(&self, words: &str) -> Option<&(String, String)> {
        self.answers.get(words.trim())
    }

    fn respond(&self, request: &Value) -> Reply {
        let said = callee_words(request);
        let (last, before) = said.split_last().map_or((None, &[][..]), |(last, before)| (Some(last), before));
        let collected: Vec<&str> =
            before.iter().filter_map(|words| self.heard(words)).map(|(key, _)| key.as_str()).collect();
        let mut blocks = Vec::new();
        let mut recorded = Vec::new();
        if let Some((key, value)) = last.and_then(|words| self.heard(words)) {
            blocks.push(Block::Tool { name: "record_field".into(), input: json!({"field": key, "value": value}) });
            recorded.push(key.as_str());
        }
        let offers_transfer =
            request["tools"].as_array().is_some_and(|tools| tools.iter().any(|tool| tool["name"] == "transfer_call"));
        let wants_person = last.is_some_and(|words| {
            let words = words.to_lowercase();
            WANTS_A_PERSON.iter().any(|phrase| words.contains(phrase))
        });
        if wants_person && offers_transfer {
            blocks.insert(0, Block::Text("Of course, I'll put you through to a person now.".into()));
            blocks.push(Block::Tool {
                name: "transfer_call".into(),
                input: json!({"reason": "the callee asked for a person"}),
            });
            return Reply { blocks };
        }
        let missing = self
            .fields
            .iter()
            .find(|field| !collected.contains(&field.key.as_str()) && !recorded.contains(&field.key.as_str()));
        match missing {
            Some(field) => blocks.insert(0, Block::Text(field_question(field))),
            None => {
                blocks.insert(0, Block::Text("Thank you, that's everything I needed. Have a good day.".into()));
                blocks.push(Block::Tool { name: "end_call".into(), input: json!({"reason": "the quote is complete"}) });
            }
        }
        Reply { blocks }
    }
}

/// What the callee said, turn by turn: the text of each user message (tool results are not
/// words).
fn callee_words(request: &Value) -> Vec<String> {
    let messages = request["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
    messages
        .iter()
        .filter(|message| message["role"] == "user")
        .filter_map(|message| {
            let content = message["content"].as_array()?;
            let text: Vec<&str> = content.iter().filter_map(|block| block["text"].as_str()).collect();
            (!text.is_empty()).then(|| text.join(" "))
        })
        .collect()
}
