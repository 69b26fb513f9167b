//! A scenario's callee played by script: who they are, what they know (by the agent's field
//! keys), and how they behave — answering, dodging, haggling, refusing, hanging up.

use switchboard_core::{Behaviour, Callee, DataField, Scenario, render};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{CalleeReply, CalleeSide, RehearsalCall, RehearsalError};

use super::cues::{PRESSES_ON_PRICE, says_any};
use crate::conversation::{NO_ANSWER, field_asked};

/// Replies before a callee who is not getting anywhere hangs up.
const PATIENCE: u32 = 3;

/// The scripted callee of one scenario.
pub struct ScriptedCallee {
    who: String,
    contact_name: String,
    knows: std::collections::BTreeMap<String, String>,
    behaviour: Behaviour,
    fields: Vec<DataField>,
    replies: u32,
    /// Fields already dodged once (an evasive callee answers the second time).
    dodged: Vec<String>,
    /// Times the agent pressed on price (a haggler concedes the second time).
    pressed: u32,
    /// A phone menu until the agent presses its digit.
    in_menu: bool,
}

impl ScriptedCallee {
    /// The callee of `scenario` on `call` (its facts rendered with the call's variables).
    pub fn new(scenario: &Scenario, call: &RehearsalCall) -> Self {
        let callee = &scenario.callee;
        let knows = callee
            .knows
            .iter()
            .map(|(key, value)| (key.clone(), render(value, &call.variables).unwrap_or_else(|_| value.clone())))
            .collect();
        let callee = Callee { knows, ..callee.clone() };
        Self::from_parts(&callee, &call.contact.fields.name, &call.agent.config.data_fields)
    }

    /// `callee`, called for `contact_name` by an agent asking for `fields`.
    pub fn from_parts(callee: &Callee, contact_name: &str, fields: &[DataField]) -> Self {
        Self {
            who: callee.who.clone(),
            contact_name: contact_name.to_owned(),
            knows: callee.knows.clone(),
            behaviour: callee.behaviour,
            fields: fields.to_vec(),
            replies: 0,
            dodged: Vec::new(),
            pressed: 0,
            in_menu: callee.behaviour == Behaviour::Ivr,
        }
    }

    /// The callee's answer to the agent's `said`.
    pub fn answer(&mut self, said: &str) -> CalleeReply {
        self.replies += 1;
        let first = self.replies == 1;
        match self.behaviour {
            Behaviour::Silent => CalleeReply::Silent,
            Behaviour::WrongPerson if first => CalleeReply::Says(format!(
                "Sorry, there's nobody called {} here. You have the wrong number.",
                self.contact_name
            )),
            Behaviour::CallBack if first => {
                CalleeReply::Says("I'm in the middle of something right now. Can you call me back later?".into())
            }
            Behaviour::Hostile if first => {
                CalleeReply::Says("I'm not interested. You're wasting my time, leave me alone.".into())
            }
            Behaviour::OptsOut if first => {
                CalleeReply::Says("Take me off your list. Don't call this number again.".into())
            }
            Behaviour::OptsOut if self.replies <= PATIENCE => CalleeReply::Says("I said take me off your list.".into()),
            Behaviour::AsksForPerson if self.replies <= PATIENCE => {
                CalleeReply::Says("I'd rather talk to a person. Can you put me through to my dispatcher?".into())
            }
            Behaviour::WrongPerson
            | Behaviour::CallBack
            | Behaviour::Hostile
            | Behaviour::OptsOut
            | Behaviour::AsksForPerson => CalleeReply::HangsUp("I'm hanging up now.".into()),
            Behaviour::Voicemail => CalleeReply::HangsUp(String::new()),
            Behaviour::Ivr if self.in_menu => self.menu(said),
            Behaviour::Cooperative
            | Behaviour::Haggler
            | Behaviour::Evasive
            | Behaviour::TalksOver
            | Behaviour::Ivr => self.talk(said, first),
        }
    }

    /// The phone menu: the digit it wants puts a person on the line; anything else repeats it.
    fn menu(&mut self, said: &str) -> CalleeReply {
        let digit = self.knows.get("digit").cloned().unwrap_or_default();
        if !digit.is_empty() && said.contains(digit.trim()) && self.replies > 1 {
            self.in_menu = false;
            return CalleeReply::Says(format!("Sales, this is {}. How can I help?", self.who));
        }
        if self.replies > PATIENCE {
            return CalleeReply::HangsUp("Goodbye.".into());
        }
        CalleeReply::Says(format!("Thank you for calling. For sales, press {}. For accounts, press 9.", digit.trim()))
    }

    /// A person talking: a greeting, then answers to what is asked, as their behaviour has it.
    fn talk(&mut self, said: &str, first: bool) -> CalleeReply {
        let price = self.knows.get("unit_price").cloned();
        if says_any(said, &PRESSES_ON_PRICE)
            && let Some(price) = price
        {
            self.pressed += 1;
            let floor = self.knows.get("floor_price").cloned();
            return CalleeReply::Says(match (self.behaviour, floor) {
                (Behaviour::Haggler, Some(floor)) if self.pressed >= 2 => {
                    format!("Alright, {floor} per unit, but that's as low as I go.")
                }
                (Behaviour::Haggler, _) => format!("That's already a fair price, {price} per unit."),
                _ => format!("Sorry, {price} per unit is the best we can do."),
            });
        }
        let asked = field_asked(&self.fields, said).map(|field| field.key.clone());
        let reply = match asked {
            Some(key) if self.behaviour == Behaviour::Evasive && !self.dodged.contains(&key) => {
                self.dodged.push(key);
                "Hard to say, it depends. What exactly are you looking for?".to_owned()
            }
            Some(key) => match self.knows.get(&key) {
                Some(value) => format!("{}.", value.trim_end_matches('.')),
                None => NO_ANSWER.to_owned(),
            },
            None if first => format!("Yes, this is {}. How can I help?", self.who),
            None => "Okay.".to_owned(),
        };
        CalleeReply::Says(match self.behaviour {
            Behaviour::TalksOver => format!("Yeah, yeah, {}", lowercase_first(&reply)),
            _ => reply,
        })
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

impl CalleeSide for ScriptedCallee {
    fn machine_greeting(&self) -> Option<String> {
        (self.behaviour == Behaviour::Voicemail)
            .then(|| format!("You've reached {}. Please leave a message after the tone.", self.who))
    }

    fn reply<'a>(&'a mut self, said: &'a str) -> BoxFuture<'a, Result<CalleeReply, RehearsalError>> {
        Box::pin(std::future::ready(Ok(self.answer(said))))
    }
}
