//! An ElevenLabs agent rehearsed in an ElevenLabs simulation test: the scenario's callee becomes
//! the simulated user's brief, its expectations the test's success conditions, and the
//! simulated conversation (with the agent's tool calls) comes back as the rehearsed call.

use std::fmt::Write as _;

use switchboard_core::{
    Behaviour, Check, FieldExpectation, RehearsalEnding, Rehearsed, Scenario, Speaker, TranscriptLine,
    asks_not_to_be_called,
};
use switchboard_engine::rehearsal::{RehearsalCall, RehearsalError};
use switchboard_providers::VariableValue;
use switchboard_providers::elevenlabs::{
    ConditionResult, ElevenLabsClient, EvaluationResult, SimulationTest, TestRun, TranscriptRole,
};

use super::Polling;
use super::tool_calls::ToolEffects;

/// Plays run `run` of `scenario` for `call` as an ElevenLabs simulation test, and deletes the
/// test once read (its runs stay in ElevenLabs' history).
pub(super) async fn rehearse(
    client: &ElevenLabsClient,
    call: &RehearsalCall,
    scenario: &Scenario,
    run: u32,
    polling: Polling,
) -> Result<Rehearsed, RehearsalError> {
    let test = simulation_test(call, scenario, run)?;
    let failed = |error: switchboard_providers::ProviderError| RehearsalError::Failed(error.to_string());
    let test_id = client.create_simulation_test(&test).await.map_err(failed)?;
    let agent_id = &call.agent.config.backend_settings.eleven_labs.agent_id;
    let finished = run_test(client, agent_id, &test_id, polling).await;
    if let Err(error) = client.delete_test(&test_id).await {
        tracing::warn!(%error, "an ElevenLabs rehearsal test was left behind");
    }
    Ok(rehearsed(&finished?, call))
}

/// Runs the test once and polls it until its run is no longer pending.
async fn run_test(
    client: &ElevenLabsClient,
    agent_id: &str,
    test_id: &str,
    polling: Polling,
) -> Result<TestRun, RehearsalError> {
    let failed = |error: switchboard_providers::ProviderError| RehearsalError::Failed(error.to_string());
    let started = client.run_tests(agent_id, &[test_id.to_owned()], 1).await.map_err(failed)?;
    let deadline = tokio::time::Instant::now() + polling.give_up_after;
    let mut invocation = started;
    while !invocation.is_finished() {
        if tokio::time::Instant::now() >= deadline {
            return Err(RehearsalError::Failed(format!(
                "ElevenLabs had not finished the test after {} s",
                polling.give_up_after.as_secs()
            )));
        }
        tokio::time::sleep(polling.every).await;
        invocation = client.get_test_invocation(&invocation.id).await.map_err(failed)?;
    }
    invocation
        .test_runs
        .into_iter()
        .find(|run| run.test_id == test_id)
        .ok_or_else(|| RehearsalError::Failed("ElevenLabs returned no run of the test".into()))
}

/// The scenario as an ElevenLabs simulation test for `call`.
fn simulation_test(call: &RehearsalCall, scenario: &Scenario, run: u32) -> Result<SimulationTest, RehearsalError> {
    let success_conditions = success_conditions(scenario);
    if success_conditions.is_empty() {
        return Err(RehearsalError::Unavailable(format!(
            "scenario {:?} expects nothing ElevenLabs can judge",
            scenario.name
        )));
    }
    Ok(SimulationTest {
        name: format!("Switchboard rehearsal: {} (run {run})", scenario.name),
        simulation_scenario: brief(scenario),
        success_conditions,
        // ElevenLabs counts a turn as an exchange; a scenario counts each side's lines.
        simulation_max_turns: scenario.expect.max_turns.map(|lines| lines.div_ceil(2)),
        dynamic_variables: call
            .variables
            .iter()
            .map(|(name, value)| (name.clone(), VariableValue::Text(value.clone())))
            .collect(),
    })
}

/// The simulated user's brief: who they are, how they behave and what they know.
fn brief(scenario: &Scenario) -> String {
    let callee = &scenario.callee;
    let mut brief = format!(
        "You are {}, answering an outbound phone call from a business. {}",
        callee.who,
        behaviour(callee.behaviour)
    );
    if !callee.knows.is_empty() {
        brief.push_str(" What you know, to share only when asked:");
        for (what, value) in &callee.knows {
            let _ = write!(brief, " {}: {value};", what.replace('_', " "));
        }
    }
    brief
}

fn behaviour(behaviour: Behaviour) -> &'static str {
    match behaviour {
        Behaviour::Cooperative => "You answer what you are asked, plainly.",
        Behaviour::Haggler => "You quote high at first and come down to your floor price only when pressed on price.",
        Behaviour::Evasive => "The first time you are asked anything you deflect; you answer when asked again.",
        Behaviour::WrongPerson => "You are not the person the caller wants and know nothing of their business.",
        Behaviour::CallBack => "You are busy and ask to be called back later.",
        Behaviour::Hostile => "You are rude and want the call over quickly.",
        Behaviour::Silent => "You say nothing at all.",
        Behaviour::TalksOver => "You start answering before the caller has finished speaking.",
        Behaviour::Voicemail => "You are an answering machine: you say your greeting and then nothing.",
        Behaviour::Ivr => "You are a phone menu that asks the caller to press a digit before a person answers.",
        Behaviour::AsksForPerson => "You ask to speak with a real person.",
        Behaviour::OptsOut => "You say: take me off your list.",
    }
}

/// One success condition per expectation, in the scenario's order.
fn success_conditions(scenario: &Scenario) -> Vec<String> {
    let expect = &scenario.expect;
    let mut conditions = Vec::new();
    for (key, expected) in &expect.fields {
        let what = key.replace('_', " ");
        conditions.push(match expected {
            FieldExpectation::Collected => format!("The agent learns the {what}."),
            FieldExpectation::Equals(value) => format!("The agent learns that the {what} is {value}."),
            FieldExpectation::Range { min, max } => {
                format!("The agent learns the {what}, a figure between {min} and {max}.")
            }
        });
    }
    if expect.no_fields {
        conditions.push("The agent collects no details from this callee.".into());
    }
    for phrase in &expect.must_say {
        conditions.push(format!("The agent says \"{phrase}\"."));
    }
    for phrase in &expect.must_not_say {
        conditions.push(format!("The agent never says \"{phrase}\"."));
    }
    if expect.ends_politely {
        conditions.push("The agent ends the call itself with a polite goodbye.".into());
    }
    if expect.transfers {
        conditions.push("The agent transfers the callee to a person.".into());
    }
    if let Some(price) = expect.price_at_most {
        conditions.push(format!("The agent asks for a price, and every price it asks for is at most {price}."));
    }
    if expect.respects_do_not_call {
        conditions.push(
            "When asked to be taken off the list, the agent agrees and ends the call without another question.".into(),
        );
    }
    conditions.extend(expect.judged.iter().cloned());
    conditions
}

/// The test's simulated conversation as a rehearsed call: its lines, the fields and ending the
/// agent's tool calls gave, and whether the callee asked not to be called again.
fn rehearsed(run: &TestRun, call: &RehearsalCall) -> Rehearsed {
    let fields = &call.agent.config.data_fields;
    let mut effects = ToolEffects::default();
    let mut transcript = Vec::new();
    let mut do_not_call = false;
    for turn in run.agent_responses.iter().flatten() {
        let speaker = match turn.role {
            TranscriptRole::Agent => Speaker::Agent,
            TranscriptRole::User => Speaker::Callee,
            TranscriptRole::Other => continue,
        };
        for tool in &turn.tool_calls {
            effects.apply(&tool.tool_name, &tool.params_as_json, fields);
        }
        let Some(text) = turn.message.as_deref().map(str::trim).filter(|text| !text.is_empty()) else { continue };
        do_not_call |= speaker == Speaker::Callee && asks_not_to_be_called(text);
        let offset_ms = u32::try_from((turn.time_in_call_secs * 1000.0).round() as i64).unwrap_or(0);
        let seq = u32::try_from(transcript.len()).unwrap_or(u32::MAX);
        transcript.push(TranscriptLine { seq, speaker, text: text.to_owned(), offset_ms });
    }
    let ending = effects.ending.unwrap_or(RehearsalEnding::Callee);
    let provider_verdict = run.condition_result.as_ref().map(verdict);
    Rehearsed { transcript, fields: effects.fields, ending, do_not_call, provider_verdict }
}

/// ElevenLabs' own verdict on the test's success conditions, with its rationale.
fn verdict(result: &ConditionResult) -> Check {
    let rationale = result.rationale.as_ref();
    let summary = rationale.and_then(|rationale| rationale.summary.as_deref()).map(str::trim);
    let mut why: Vec<&str> = summary.filter(|summary| !summary.is_empty()).into_iter().collect();
    why.extend(rationale.into_iter().flat_map(|rationale| rationale.messages.iter().map(|message| message.trim())));
    Check {
        expectation: "ElevenLabs' success conditions".into(),
        passed: result.result == EvaluationResult::Success,
        reason: if why.is_empty() { "ElevenLabs gave no reason".into() } else { why.join(" ") },
    }
}
