//! What the fake ElevenLabs agent says on a call: the outbound-call request read back into a
//! call (the agent as configured on ElevenLabs' side, the callee from the dynamic variables and
//! the number), played by the [callee](crate::callee), and written out as an ElevenLabs
//! conversation in its wire shape.

use serde_json::{Value, json};
use switchboard_core::{Agent, Speaker};

use crate::callee::{Placed, Played, play as play_callee, text_variables};
use switchboard_sim::SimSettings;

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
    let variables = text_variables(&data["dynamic_variables"]);
    let overrides = &data["conversation_config_override"]["agent"];
    let first_message = text(&overrides["first_message"]).unwrap_or_else(|| agent.config.first_message.clone());
    let prompt = text(&overrides["prompt"]["prompt"]).unwrap_or_else(|| agent.config.system_prompt.clone());
    Ok(Placed { agent, to, variables, first_message, prompt })
}

/// Plays the call and writes it as ElevenLabs would.
pub(super) fn play(
    placed: &Placed,
    conversation_id: &str,
    call_sid: &str,
    client_data: &Value,
    settings: &SimSettings,
) -> Outcome {
    let talk = match play_callee(placed, settings) {
        Played::Talked(talk) => talk,
        Played::Busy => return Outcome::NotStarted("busy"),
        Played::NoAnswer => return Outcome::NotStarted("no-answer"),
    };
    let transcript: Vec<Value> = talk
        .turns
        .iter()
        .map(|turn| {
            let role = if turn.speaker == Speaker::Agent { "agent" } else { "user" };
            json!({"role": role, "message": turn.text, "time_in_call_secs": turn.starts.as_secs_f64(),
                "tool_calls": [], "tool_results": [], "interrupted": false})
        })
        .collect();
    let collected: serde_json::Map<String, Value> = talk
        .collected
        .iter()
        .map(|(key, value)| {
            let said = talk.turns.iter().find(|turn| turn.gives.as_ref() == Some(key)).map(|turn| &turn.text);
            let result = json!({"data_collection_id": key, "value": value,
                "json_schema": {"type": if value.is_number() { "number" } else { "string" }},
                "rationale": format!("The callee said: {}", said.map_or("", String::as_str))});
            (key.clone(), result)
        })
        .collect();
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    Outcome::Talked(json!({
        "agent_id": placed.agent.config.backend_settings.eleven_labs.agent_id,
        "conversation_id": conversation_id,
        "status": "done",
        "transcript": transcript,
        "metadata": {
            "start_time_unix_secs": started,
            "call_duration_secs": talk.duration.as_secs().max(1),
            "cost": 80 + 4 * transcript.len(),
            "termination_reason": if talk.voicemail { "voicemail detected" } else { talk.ending },
            "phone_call": {"type": "twilio", "call_sid": call_sid, "stream_sid": format!("MZ{}", &call_sid[2..]),
                           "external_number": placed.to, "agent_number": "+13125550100", "direction": "outbound"}
        },
        "analysis": {
            "call_successful": if talk.voicemail { "failure" } else { "success" },
            "transcript_summary": talk.ending,
            "evaluation_criteria_results": {},
            "data_collection_results": collected
        },
        "conversation_initiation_client_data": client_data,
        "has_audio": true,
        "has_user_audio": true,
        "has_response_audio": true
    }))
}
