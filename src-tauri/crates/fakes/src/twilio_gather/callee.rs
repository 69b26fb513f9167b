//! Who answers a gather call on the fake Twilio: a vendor persona of the simulator, answering
//! what the agent asks in the simulator's words, or a fixed script (silences included).

use std::collections::VecDeque;

use switchboard_core::DataField;

use super::PlacedGatherCall;
use switchboard_sim::SimSettings;
use switchboard_sim::conversation::{NO_ANSWER, field_asked, vendor_greeting};
use switchboard_sim::persona::VendorPersona;

/// Answers each `<Gather>`: what the callee says after hearing `agent_said`, or `None` for
/// silence.
pub trait Callee: Send {
    fn reply(&mut self, agent_said: &str) -> Option<String>;
}

/// A quoting vendor from the simulator's personas.
pub struct VendorCallee {
    greeting: String,
    fields: Vec<DataField>,
    persona: VendorPersona,
    greeted: bool,
}

impl VendorCallee {
    /// The vendor `call` reaches, with the simulator's `sim` cast.
    pub fn new(call: &PlacedGatherCall, sim: &SimSettings) -> Self {
        let persona = VendorPersona::for_vendor(&call.to, None, sim.seed, sim.cast);
        Self {
            greeting: vendor_greeting(&call.contact, &persona),
            fields: call.fields.clone(),
            persona,
            greeted: false,
        }
    }
}

impl Callee for VendorCallee {
    fn reply(&mut self, agent_said: &str) -> Option<String> {
        if !self.greeted {
            self.greeted = true;
            return Some(self.greeting.clone());
        }
        let answer = match field_asked(&self.fields, agent_said) {
            Some(field) => self.persona.answer(&field.key, 0).map_or_else(|| NO_ANSWER.to_owned(), |(line, _)| line),
            None => "Sorry, could you say that again?".to_owned(),
        };
        Some(answer)
    }
}

/// Says these lines in order, whatever it hears (`None`: stays silent); silent after them.
pub struct ScriptedCallee(VecDeque<Option<String>>);

impl ScriptedCallee {
    pub fn new<'a>(lines: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        Self(lines.into_iter().map(|line| line.map(str::to_owned)).collect())
    }
}

impl Callee for ScriptedCallee {
    fn reply(&mut self, _agent_said: &str) -> Option<String> {
        self.0.pop_front().flatten()
    }
}

/// The vendor's answers first, then a script: a persona who, after `turns` answers, says the
/// script's lines.
pub struct ThenScripted<C> {
    pub callee: C,
    pub turns: usize,
    pub script: ScriptedCallee,
}

impl<C: Callee> Callee for ThenScripted<C> {
    fn reply(&mut self, agent_said: &str) -> Option<String> {
        if self.turns > 0 {
            self.turns -= 1;
            return self.callee.reply(agent_said);
        }
        self.script.reply(agent_said)
    }
}
