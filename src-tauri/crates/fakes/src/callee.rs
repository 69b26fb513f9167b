//! The callee on a fake provider's call: the call as the fake read it from the provider request
//! (the agent as configured on the provider's side, the number, the variables, the texts),
//! played with the simulator's personas and scripts at speaking pace. Each fake writes the
//! result out in its own provider's wire shape.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::{
    Agent, AgentPurpose, CallId, Contact, ContactDetails, ContactFields, ContactId, PersonDetails, Speaker,
    VendorDetails,
};
use switchboard_engine::CallRequest;

use switchboard_sim::SimSettings;
use switchboard_sim::persona::{Reach, reach};
use switchboard_sim::voice::{self, Utterance};
use switchboard_sim::{TURN_GAP, script, speaking_time};

/// A call as a fake understood the request.
pub(super) struct Placed {
    pub(super) agent: Agent,
    pub(super) to: String,
    pub(super) variables: BTreeMap<String, String>,
    pub(super) first_message: String,
    pub(super) prompt: String,
}

/// How the call went.
pub(super) enum Played {
    /// Someone (or a machine) answered.
    Talked(Talk),
    /// The line was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
}

/// An answered call.
pub(super) struct Talk {
    pub(super) turns: Vec<TimedTurn>,
    /// The values the callee gave, by key, typed as a provider's extraction would type them.
    pub(super) collected: serde_json::Map<String, Value>,
    /// From answering to the last word.
    pub(super) duration: Duration,
    /// How the script says the call ended.
    pub(super) ending: &'static str,
    /// An answering machine took the call.
    pub(super) voicemail: bool,
}

impl Talk {
    /// The call's recording, as the simulator records its own calls (a WAV, each party on its
    /// track), and its length in milliseconds.
    pub(super) fn recording(&self) -> Result<(Vec<u8>, u32), String> {
        let millis = |duration: Duration| u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
        let utterances: Vec<Utterance> = self
            .turns
            .iter()
            .map(|turn| Utterance {
                speaker: turn.speaker,
                start_ms: millis(turn.starts),
                duration_ms: millis(speaking_time(&turn.text)),
            })
            .collect();
        // Negative ids name the scratch file apart from the simulator's own calls.
        static SCRATCH: AtomicI64 = AtomicI64::new(-1);
        voice::record(CallId(SCRATCH.fetch_sub(1, Ordering::Relaxed)), &utterances)
    }
}

/// One utterance and when it started, from the answer.
pub(super) struct TimedTurn {
    pub(super) speaker: Speaker,
    pub(super) text: String,
    pub(super) starts: Duration,
    /// The key of the value the callee gave in it, if any.
    pub(super) gives: Option<String>,
}

/// Plays the call with the simulator's personas, answered as the cast says.
pub(super) fn play(placed: &Placed, settings: &SimSettings) -> Played {
    play_reached(placed, reach(settings.cast, settings.seed, &placed.to, 1), settings)
}

/// Plays the call answered as `reach` says (the fake that dialled it has decided).
pub(super) fn play_reached(placed: &Placed, reach: Reach, settings: &SimSettings) -> Played {
    match reach {
        Reach::Busy => return Played::Busy,
        Reach::NoAnswer => return Played::NoAnswer,
        Reach::Answers | Reach::Voicemail => {}
    }
    let request = CallRequest {
        call_id: CallId(0),
        to: placed.to.clone(),
        extension: None,
        agent: placed.agent.clone(),
        contact: callee(placed),
        system_prompt: placed.prompt.clone(),
        first_message: placed.first_message.clone(),
        voicemail: None,
        attempt: 1,
        variables: placed.variables.clone(),
        recording_dir: None,
    };
    let script = script(&request, reach, settings);
    let mut call_time = Duration::ZERO;
    let mut turns = Vec::with_capacity(script.turns.len());
    let mut collected = serde_json::Map::new();
    for turn in script.turns {
        let starts = call_time + TURN_GAP;
        call_time = starts + speaking_time(&turn.text);
        let gives = turn.field.map(|(key, value)| {
            collected.insert(key.clone(), typed(&value));
            key
        });
        turns.push(TimedTurn { speaker: turn.speaker, text: turn.text, starts, gives });
    }
    let voicemail = reach == Reach::Voicemail;
    Played::Talked(Talk { turns, collected, duration: call_time, ending: script.ending, voicemail })
}

/// A collected value as JSON: a number when it reads as one, else text.
fn typed(value: &str) -> Value {
    value
        .parse::<i64>()
        .map(|number| json!(number))
        .or_else(|_| value.parse::<f64>().map(|number| json!(number)))
        .unwrap_or_else(|_| json!(value))
}

/// The callee the request describes: a vendor for quote agents (what it quotes is in the
/// request's variables), else a person.
fn callee(placed: &Placed) -> Contact {
    let vars = &placed.variables;
    let name = vars.get("vendor_name").or_else(|| vars.get("contact_name")).cloned().unwrap_or_default();
    let details = match placed.agent.config.purpose {
        AgentPurpose::VendorQuote | AgentPurpose::VendorNegotiation => ContactDetails::Vendor(VendorDetails::default()),
        AgentPurpose::DriverViolation | AgentPurpose::Generic => ContactDetails::Person(PersonDetails::default()),
    };
    let fields = ContactFields {
        name,
        phone: placed.to.clone(),
        tags: vec![],
        time_zone: None,
        do_not_call: false,
        custom: BTreeMap::new(),
        details,
    };
    Contact { id: ContactId(0), phone_e164: Some(placed.to.clone()), phone_extension: None, fields }
}

/// The variables of a provider request (`{name: value}`), each as text.
pub(super) fn text_variables(variables: &Value) -> BTreeMap<String, String> {
    variables
        .as_object()
        .map(|vars| {
            vars.iter()
                .map(|(name, value)| (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default()
}
