//! What the fake ElevenLabs agent says on a call: the outbound-call request read back into a
//! simulator call (the agent as configured on ElevenLabs' side, the callee from the dynamic
//! variables and the number), played with the simulator's scripts, and written out as an
//! ElevenLabs conversation in its wire shape.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::{
    Agent, AgentPurpose, CallId, Contact, ContactDetails, ContactFields, ContactId, PersonDetails, VendorDetails,
};
use switchboard_engine::CallRequest;

use crate::SimSettings;
use crate::backend::{TURN_GAP, script, speaking_time};
use crate::persona::{Reach, reach};

/// A call as the fake understood the request.
pub(super) struct Placed {
    pub(super) agent: Agent,
    pub(super) to: String,
    pub(super) variables: BTreeMap<String, String>,
    pub(super) first_message: String,
    pub(super) prompt: String,
}

/// How the call went.
pub(super) enum Outcome {
    /// Someone (or a machine) answered: the finished conversation's `data`.
    Talked(Value),
    /// The call never connected: the initiation failure's reason (`busy`, `no-answer`).
    NotStarted(&'static str),
}

/// Reads an outbound-call body; the error is the message for a 422.
pub(super) fn read_request(body: &Value, agents: &[Agent]) -> Result<Placed, String> {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let agent_id = text(&body["agent_id"]).ok_or("agent_id is required")?;
    text(&body["agent_phone_number_id"]).ok_or("agent_phone_number_id is required")?;
    let to = text(&body["to_number"]).ok_or("to_number is required")?;
    let agent = agents
        .iter()
        .find(|agent| agent.config.backend_settings.eleven_labs.agent_id == agent_id)
        .ok_or_else(|| format!("agent {agent_id} not found"))?
        .clone();
    let data = &body["conversation_initiation_client_data"];
    let variables = data["dynamic_variables"]
        .as_object()
        .map(|vars| {
            vars.iter().map(|(name, value)| (name.clone(), text(value).unwrap_or_else(|| value.to_string()))).collect()
        })
        .unwrap_or_default();
    let overrides = &data["conversation_config_override"]["agent"];
    let first_message = text(&overrides["first_message"]).unwrap_or_else(|| agent.config.first_message.clone());
    let prompt = text(&overrides["prompt"]["prompt"]).unwrap_or_else(|| agent.config.system_prompt.clone());
    Ok(Placed { agent, to, variables, first_message, prompt })
}

/// Plays the call with the simulator's personas.
pub(super) fn play(
    placed: &Placed,
    conversation_id: &str,
    call_sid: &str,
    client_data: &Value,
    settings: &SimSettings,
) -> Outcome {
    let reach = reach(settings.cast, settings.seed, &placed.to, 1);
    match reach {
        Reach::Busy => return Outcome::NotStarted("busy"),
        Reach::NoAnswer => return Outcome::NotStarted("no-answer"),
        Reach::Answers | Reach::Voicemail => {}
    }
    let request = CallRequest {
        call_id: CallId(0),
        to: placed.to.clone(),
        agent: placed.agent.clone(),
        contact: callee(placed),
        system_prompt: placed.prompt.clone(),
        first_message: placed.first_message.clone(),
        voicemail: None,
        attempt: 1,
        variables: placed.variables.clone(),
    };
    let script = script(&request, reach, settings);
    let mut call_time = Duration::ZERO;
    let mut transcript = Vec::new();
    let mut collected = serde_json::Map::new();
    for turn in &script.turns {
        let starts = call_time + TURN_GAP;
        call_time = starts + speaking_time(&turn.text);
        let role = if turn.speaker == switchboard_core::Speaker::Agent { "agent" } else { "user" };
        transcript.push(json!({"role": role, "message": turn.text, "time_in_call_secs": starts.as_secs_f64(),
            "tool_calls": [], "tool_results": [], "interrupted": false}));
        if let Some((key, value)) = &turn.field {
            let typed = value
                .parse::<i64>()
                .map(|number| json!(number))
                .or_else(|_| value.parse::<f64>().map(|number| json!(number)))
                .unwrap_or_else(|_| json!(value));
            collected.insert(
                key.clone(),
                json!({"data_collection_id": key, "value": typed,
                "json_schema": {"type": if typed.is_number() { "number" } else { "string" }},
                "rationale": format!("The callee said: {}", turn.text)}),
            );
        }
    }
    let voicemail = reach == Reach::Voicemail;
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    Outcome::Talked(json!({
        "agent_id": placed.agent.config.backend_settings.eleven_labs.agent_id,
        "conversation_id": conversation_id,
        "status": "done",
        "transcript": transcript,
        "metadata": {
            "start_time_unix_secs": started,
            "call_duration_secs": call_time.as_secs().max(1),
            "cost": 80 + 4 * transcript.len(),
            "termination_reason": if voicemail { "voicemail detected" } else { script.ending },
            "phone_call": {"type": "twilio", "call_sid": call_sid, "stream_sid": format!("MZ{}", &call_sid[2..]),
                           "external_number": placed.to, "agent_number": "+13125550100", "direction": "outbound"}
        },
        "analysis": {
            "call_successful": if voicemail { "failure" } else { "success" },
            "transcript_summary": script.ending,
            "evaluation_criteria_results": {},
            "data_collection_results": collected
        },
        "conversation_initiation_client_data": client_data,
        "has_audio": true,
        "has_user_audio": true,
        "has_response_audio": true
    }))
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
