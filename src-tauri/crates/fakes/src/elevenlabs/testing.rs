//! What the fake ElevenLabs does with a simulation test (docs/providers.md#elevenlabs-agent-tests):
//! the agent as configured on ElevenLabs' side talks, through its model, with a simulated user
//! playing the test's scenario through another, and an evaluation model judges each success
//! condition on the transcript; all three are the test's [`Responder`]s. Written out as a test
//! run in ElevenLabs' wire shape.

use serde_json::{Value, json};
use switchboard_core::{Agent, Speaker, render};

use crate::anthropic::Responder;
use crate::callee::text_variables;
use crate::chat_model::{Line, ask};

/// The models a simulation is played with.
pub(super) struct Models<'a> {
    pub(super) agent: Option<&'a Responder>,
    pub(super) user: Option<&'a Responder>,
    pub(super) evaluator: Option<&'a Responder>,
}

/// How many turns a simulation runs when the test does not say.
const DEFAULT_MAX_TURNS: u64 = 10;

/// What the evaluation model is told for each condition.
const EVALUATION_BRIEF: &str = "Judge whether the condition holds for the conversation. \
    Answer \"success\" or \"failure\", then why.";

/// Reads a test to create (`TestsCreateRequestBody`); the error is the message for a 422.
pub(super) fn read_test(body: &Value) -> Result<(), String> {
    let kind = body["type"].as_str().unwrap_or("llm");
    if !["llm", "tool", "simulation"].contains(&kind) {
        return Err(format!("type {kind:?} is not one of llm, tool, simulation"));
    }
    if body["name"].as_str().is_none_or(|name| name.trim().is_empty()) {
        return Err("name is required".into());
    }
    if kind == "simulation" {
        if body["simulation_scenario"].as_str().is_none_or(|scenario| scenario.trim().is_empty()) {
            return Err("simulation_scenario is required for simulation tests".into());
        }
        let conditions = body["success_conditions"].as_array().is_some_and(|conditions| !conditions.is_empty());
        if !conditions && body["success_condition"].as_str().is_none() {
            return Err("at least one of success_condition or success_conditions is required".into());
        }
    }
    Ok(())
}

/// Plays one run of `test` with `agent`: the finished run's `status`, `agent_responses` and
/// `condition_result`.
pub(super) fn run(agent: &Agent, test: &Value, models: &Models<'_>) -> Value {
    let (Some(agent_model), Some(user_model)) = (models.agent, models.user) else {
        return finished(Vec::new(), "failure", &["the fake ElevenLabs has no agent or simulated user model".into()]);
    };
    let variables = text_variables(&test["dynamic_variables"]);
    let filled = |text: &str| render(text, &variables).unwrap_or_else(|_| text.to_owned());
    let prompt = filled(&agent.config.system_prompt);
    let scenario = test["simulation_scenario"].as_str().unwrap_or_default();
    let max_turns = test["simulation_max_turns"].as_u64().unwrap_or(DEFAULT_MAX_TURNS);
    let mut tools = vec!["end_call", "record_field"];
    if !agent.config.transfer_to.trim().is_empty() {
        tools.push("transfer_call");
    }
    let mut lines = vec![Line { speaker: Speaker::Agent, text: filled(&agent.config.first_message) }];
    let mut turns = vec![turn(Speaker::Agent, &lines[0].text, 0, &[])];
    for n in 1..=max_turns {
        let user = ask(user_model, Speaker::Callee, scenario, &lines, &["end_call"]);
        let user_ends = !user.tools.is_empty();
        if !user.text.is_empty() {
            turns.push(turn(Speaker::Callee, &user.text, 2 * n - 1, &[]));
            lines.push(Line { speaker: Speaker::Callee, text: user.text });
        }
        if user_ends {
            break;
        }
        let answer = ask(agent_model, Speaker::Agent, &prompt, &lines, &tools);
        turns.push(turn(Speaker::Agent, &answer.text, 2 * n, &answer.tools));
        lines.push(Line { speaker: Speaker::Agent, text: answer.text });
        if answer.tools.iter().any(|(name, _)| name == "end_call" || name == "transfer_call") {
            break;
        }
    }
    let conditions: Vec<&str> = test["success_conditions"]
        .as_array()
        .map(|conditions| conditions.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| test["success_condition"].as_str().into_iter().collect());
    let Some(evaluator) = models.evaluator else {
        return finished(turns, "unknown", &["the fake ElevenLabs has no evaluation model".into()]);
    };
    let conversation: String = lines
        .iter()
        .map(|line| format!("{}: {}\n", if line.speaker == Speaker::Agent { "agent" } else { "user" }, line.text))
        .collect();
    let mut failures = Vec::new();
    for condition in conditions {
        let question =
            Line { speaker: Speaker::Callee, text: format!("Condition: {condition}\n\nConversation:\n{conversation}") };
        let verdict = ask(evaluator, Speaker::Agent, EVALUATION_BRIEF, &[question], &[]);
        if !verdict.text.to_lowercase().starts_with("success") {
            failures.push(format!("{condition}: {}", verdict.text));
        }
    }
    let result = if failures.is_empty() { "success" } else { "failure" };
    finished(turns, result, &failures)
}

fn finished(turns: Vec<Value>, result: &str, messages: &[String]) -> Value {
    let status = if result == "success" { "passed" } else { "failed" };
    let summary = match result {
        "success" => "Every success condition was met.".to_owned(),
        _ => format!("{} condition(s) not met.", messages.len()),
    };
    json!({"status": status, "agent_responses": turns,
           "condition_result": {"result": result, "rationale": {"messages": messages, "summary": summary}}})
}

/// One transcript turn as ElevenLabs writes it, with the tools called in it.
fn turn(speaker: Speaker, text: &str, second: u64, tools: &[(String, Value)]) -> Value {
    let role = if speaker == Speaker::Agent { "agent" } else { "user" };
    let tool_calls: Vec<Value> = tools
        .iter()
        .enumerate()
        .map(|(n, (name, input))| {
            json!({"type": "system", "request_id": format!("req_{second}_{n}"), "tool_name": name,
                   "params_as_json": input.to_string(), "tool_has_been_called": true})
        })
        .collect();
    json!({"role": role, "message": text, "time_in_call_secs": second, "tool_calls": tool_calls,
           "interrupted": false})
}
