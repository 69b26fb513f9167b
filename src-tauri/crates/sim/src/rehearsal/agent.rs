//! The simulator's scripted agent: it opens with the agent's first message, asks for each data
//! field in turn (required first) and records the answer, presses once for the negotiation's
//! target price, transfers when asked for a person (given a transfer number), and ends politely
//! when the callee cannot or will not talk, asks not to be called, or everything is in.

use switchboard_core::{AgentPurpose, DataField, asks_not_to_be_called, render};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{AgentReply, AgentSide, RehearsalCall, RehearsalError};

use super::cues::{CALL_BACK, HOSTILE, WANTS_A_PERSON, WRONG_PERSON, menu_digit, says_any};
use crate::conversation::{NO_ANSWER, field_question};

const DID_NOT_HEAR: &str = "Sorry, I didn't catch that.";
const NO_INPUT_GOODBYE: &str = "I haven't been able to hear you, so I'll let you go. Thank you, goodbye.";
const ALL_COLLECTED: &str = "Thank you, that's everything I needed. Have a good day.";

/// The scripted agent of one rehearsed call.
pub struct ScriptedAgent {
    first_message: String,
    fields: Vec<DataField>,
    transfer_to: Option<String>,
    /// The price to press for, on a negotiation.
    target_price: Option<String>,
    /// The field asked last, waiting for its answer.
    asked: Option<usize>,
    /// The next field to ask for.
    next_field: usize,
    pressed: bool,
    /// Whether the field asked last was asked a second time.
    asked_again: bool,
    silences: u32,
    last_said: String,
}

impl ScriptedAgent {
    pub fn new(call: &RehearsalCall) -> Self {
        let config = &call.agent.config;
        let mut fields = config.data_fields.clone();
        fields.sort_by_key(|field| !field.required);
        let transfer_to = render(config.transfer_to.trim(), &call.variables)
            .ok()
            .map(|number| number.trim().to_owned())
            .filter(|number| !number.is_empty());
        let target_price = (config.purpose == AgentPurpose::VendorNegotiation)
            .then(|| call.variables.get("target_price").cloned())
            .flatten();
        Self {
            first_message: call.first_message.clone(),
            fields,
            transfer_to,
            target_price,
            asked: None,
            next_field: 0,
            pressed: false,
            asked_again: false,
            silences: 0,
            last_said: String::new(),
        }
    }

    fn say(&mut self, text: impl Into<String>) -> AgentReply {
        let text = text.into();
        self.last_said.clone_from(&text);
        AgentReply { text, ..AgentReply::default() }
    }

    fn end(text: &str, reason: &str) -> AgentReply {
        AgentReply { text: text.to_owned(), end: Some(reason.to_owned()), ..AgentReply::default() }
    }

    fn answer(&mut self, heard: Option<&str>) -> AgentReply {
        let Some(heard) = heard else {
            let opening = self.first_message.clone();
            return self.say(opening);
        };
        if heard.trim().is_empty() {
            self.silences += 1;
            if self.silences > 1 {
                return Self::end(NO_INPUT_GOODBYE, "the callee said nothing after a re-prompt");
            }
            let again = format!("{DID_NOT_HEAR} {}", self.last_said.trim_start_matches(DID_NOT_HEAR).trim());
            return self.say(again);
        }
        self.silences = 0;
        if asks_not_to_be_called(heard) {
            return Self::end(
                "I'm sorry for the trouble. We won't call you again. Goodbye.",
                "the callee asked not to be called again",
            );
        }
        if says_any(heard, &WANTS_A_PERSON) {
            return match &self.transfer_to {
                Some(_) => AgentReply {
                    text: "Of course, I'll transfer you now.".into(),
                    transfer: Some("the callee asked for a person".into()),
                    ..AgentReply::default()
                },
                None => Self::end(
                    "I can't put you through right now, but someone will call you back. Thank you, goodbye.",
                    "the callee asked for a person and there is no transfer number",
                ),
            };
        }
        if says_any(heard, &WRONG_PERSON) {
            return Self::end("Sorry for the mix-up. Thank you, goodbye.", "the wrong person answered");
        }
        if says_any(heard, &CALL_BACK) {
            return Self::end(
                "Of course, we'll call back later. Thank you, goodbye.",
                "the callee asked to be called back",
            );
        }
        if says_any(heard, &HOSTILE) {
            return Self::end("I understand. Sorry to have bothered you. Goodbye.", "the callee wanted the call over");
        }
        if let Some(digit) = menu_digit(heard) {
            return self.say(format!("(presses {digit})"));
        }
        let mut reply = AgentReply::default();
        match self.asked.take() {
            // A question back dodges the question: it is asked once more.
            Some(index) if heard.contains('?') && !self.asked_again => {
                self.asked_again = true;
                self.asked = Some(index);
                let again = field_question(&self.fields[index]);
                return self.say(again);
            }
            Some(index) if !heard.contains('?') && !heard.contains(NO_ANSWER) => {
                reply.fields.push((self.fields[index].key.clone(), value_of(heard)));
            }
            _ => {}
        }
        self.asked_again = false;
        if heard.contains('$') && self.fields.iter().any(|field| field.key == "unit_price") {
            reply.fields.retain(|(key, _)| key != "unit_price");
            reply.fields.push(("unit_price".into(), value_of(heard)));
            if let Some(target) = self.target_price.clone().filter(|_| !self.pressed) {
                self.pressed = true;
                let mut press = self.say(format!("Thank you. Could you do {target} per unit?"));
                press.fields = reply.fields;
                return press;
            }
        }
        while let Some(field) = self.fields.get(self.next_field) {
            let index = self.next_field;
            self.next_field += 1;
            let already = reply.fields.iter().any(|(key, _)| *key == field.key);
            if !already {
                self.asked = Some(index);
                let question = field_question(field);
                let fields = reply.fields;
                let mut ask = self.say(question);
                ask.fields = fields;
                return ask;
            }
        }
        AgentReply { text: ALL_COLLECTED.into(), end: Some("every field to collect was collected".into()), ..reply }
    }
}

/// What the callee's words record: the words, without a closing full stop.
fn value_of(heard: &str) -> String {
    heard.trim().trim_end_matches('.').to_owned()
}

impl AgentSide for ScriptedAgent {
    fn turn<'a>(&'a mut self, heard: Option<&'a str>) -> BoxFuture<'a, Result<AgentReply, RehearsalError>> {
        Box::pin(std::future::ready(Ok(self.answer(heard))))
    }
}
