//! What a fake provider's agent and callee say on a call, shared by the fakes: the call as the
//! fake understood its request, the callee it describes, and the simulator's script for them
//! with each turn's start in call time.

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard_core::{
    Agent, AgentPurpose, CallId, Contact, ContactDetails, ContactFields, ContactId, PersonDetails, VendorDetails,
};
use switchboard_engine::CallRequest;

use crate::SimSettings;
use crate::backend::{TURN_GAP, script, speaking_time};
use crate::conversation::Turn;
use crate::persona::Reach;

/// A call as a fake understood the request.
pub(crate) struct Placed {
    pub(crate) agent: Agent,
    pub(crate) to: String,
    pub(crate) variables: BTreeMap<String, String>,
    pub(crate) first_message: String,
    pub(crate) prompt: String,
    /// The agent's voicemail message, when it leaves one.
    pub(crate) voicemail: Option<String>,
}

/// A played call: each turn with when it starts, how the call ended, and its length.
pub(crate) struct Played {
    pub(crate) turns: Vec<(Turn, Duration)>,
    pub(crate) ending: &'static str,
    pub(crate) length: Duration,
}

/// Plays `placed` answered as `reach` says, with the simulator's personas.
pub(crate) fn play(placed: &Placed, reach: Reach, settings: &SimSettings) -> Played {
    let request = CallRequest {
        call_id: CallId(0),
        to: placed.to.clone(),
        agent: placed.agent.clone(),
        contact: callee(placed),
        system_prompt: placed.prompt.clone(),
        first_message: placed.first_message.clone(),
        voicemail: placed.voicemail.clone(),
        attempt: 1,
        variables: placed.variables.clone(),
    };
    let script = script(&request, reach, settings);
    let mut call_time = Duration::ZERO;
    let turns = script
        .turns
        .into_iter()
        .map(|turn| {
            let starts = call_time + TURN_GAP;
            call_time = starts + speaking_time(&turn.text);
            (turn, starts)
        })
        .collect();
    Played { turns, ending: script.ending, length: call_time }
}

/// The callee the request describes: a vendor for quote agents (item, quantity and target
/// price from the variables), else a person.
fn callee(placed: &Placed) -> Contact {
    let vars = &placed.variables;
    let name = vars.get("vendor_name").or_else(|| vars.get("contact_name")).cloned().unwrap_or_default();
    let details = match placed.agent.config.purpose {
        AgentPurpose::VendorQuote | AgentPurpose::VendorNegotiation => ContactDetails::Vendor(VendorDetails {
            item: vars.get("item").cloned().unwrap_or_default(),
            quantity: vars.get("quantity").and_then(|quantity| quantity.parse().ok()).unwrap_or_default(),
            target_price: vars.get("target_price").and_then(|price| price.trim_start_matches('$').parse().ok()),
            ..VendorDetails::default()
        }),
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
    Contact { id: ContactId(0), phone_e164: Some(placed.to.clone()), fields }
}
