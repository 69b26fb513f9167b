//! ElevenLabs agent testing: a simulation test (a simulated user playing a scenario against the
//! agent, judged by ElevenLabs on success conditions) created with `POST
//! /v1/convai/agent-testing/create`, run with `POST /v1/convai/agents/{id}/run-tests` and read
//! back with `GET /v1/convai/test-invocations/{id}`. Serializable for the loopback fake.

use serde::{Deserialize, Serialize};

use super::TranscriptTurn;
use crate::Variables;

/// A simulation test to create (`TestsCreateRequestBody_Simulation` in the SDK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationTest {
    pub name: String,
    /// Who the simulated user is and how they behave.
    pub simulation_scenario: String,
    /// What must hold for the test to pass, each judged by ElevenLabs' model.
    pub success_conditions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation_max_turns: Option<u32>,
    /// Values for the agent's `{{name}}` placeholders.
    #[serde(default, skip_serializing_if = "Variables::is_empty")]
    pub dynamic_variables: Variables,
}

/// The body of `POST /v1/convai/agent-testing/create`: the test, tagged `"type": "simulation"`.
#[derive(Serialize)]
pub(super) struct CreateTestWire<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    test: &'a SimulationTest,
}

impl SimulationTest {
    pub(super) fn wire(&self) -> CreateTestWire<'_> {
        CreateTestWire { kind: "simulation", test: self }
    }
}

/// `{"id"}`: the created test (`CreateAgentTestResponseModel`).
#[derive(Debug, Deserialize)]
pub(super) struct CreatedTest {
    pub(super) id: String,
}

/// The body of `POST /v1/convai/agents/{id}/run-tests`.
#[derive(Serialize)]
pub(super) struct RunTestsWire<'a> {
    tests: Vec<TestRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_count: Option<u32>,
}

#[derive(Serialize)]
struct TestRef<'a> {
    test_id: &'a str,
}

impl<'a> RunTestsWire<'a> {
    pub(super) fn new(test_ids: &'a [String], repeat_count: u32) -> Self {
        let tests = test_ids.iter().map(|test_id| TestRef { test_id }).collect();
        Self { tests, repeat_count: (repeat_count > 1).then_some(repeat_count) }
    }
}

/// A run of tests (`GetTestSuiteInvocationResponseModel`), as started and as polled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestInvocation {
    pub id: String,
    pub agent_id: Option<String>,
    #[serde(default)]
    pub test_runs: Vec<TestRun>,
}

impl TestInvocation {
    /// No run is still pending.
    pub fn is_finished(&self) -> bool {
        self.test_runs.iter().all(|run| run.status != TestRunStatus::Pending)
    }
}

/// One run of one test (`UnitTestRunResponseModel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRun {
    pub test_run_id: String,
    pub test_id: String,
    pub status: TestRunStatus,
    /// The simulated conversation, agent and user turns alike.
    #[serde(default)]
    pub agent_responses: Option<Vec<TranscriptTurn>>,
    pub condition_result: Option<ConditionResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestRunStatus {
    Pending,
    Passed,
    Failed,
    #[serde(other)]
    Other,
}

/// ElevenLabs' verdict on the success conditions (`TestConditionResultCommonModel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionResult {
    pub result: EvaluationResult,
    pub rationale: Option<ConditionRationale>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationResult {
    Success,
    Failure,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConditionRationale {
    #[serde(default)]
    pub messages: Vec<String>,
    pub summary: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{EvaluationResult, RunTestsWire, SimulationTest, TestInvocation, TestRunStatus};
    use crate::elevenlabs::TranscriptRole;

    #[test]
    fn a_simulation_test_is_sent_tagged_with_only_what_is_set() {
        let test = SimulationTest {
            name: "haggler".into(),
            simulation_scenario: "You are Dana at Acme.".into(),
            success_conditions: vec!["The agent asks for a unit price.".into()],
            simulation_max_turns: Some(12),
            dynamic_variables: [("vendor_name".to_owned(), "Acme".into())].into(),
        };
        assert_eq!(
            serde_json::to_value(test.wire()).unwrap(),
            json!({"type": "simulation", "name": "haggler", "simulation_scenario": "You are Dana at Acme.",
                   "success_conditions": ["The agent asks for a unit price."], "simulation_max_turns": 12,
                   "dynamic_variables": {"vendor_name": "Acme"}})
        );
        let bare = SimulationTest { simulation_max_turns: None, dynamic_variables: Default::default(), ..test };
        let wire = serde_json::to_value(bare.wire()).unwrap();
        assert!(wire.get("simulation_max_turns").is_none() && wire.get("dynamic_variables").is_none(), "{wire}");
    }

    #[test]
    fn a_run_names_its_tests_and_repeats_only_past_one() {
        let ids = vec!["t1".to_owned(), "t2".to_owned()];
        assert_eq!(
            serde_json::to_value(RunTestsWire::new(&ids, 3)).unwrap(),
            json!({"tests": [{"test_id": "t1"}, {"test_id": "t2"}], "repeat_count": 3})
        );
        assert_eq!(
            serde_json::to_value(RunTestsWire::new(&ids[..1], 1)).unwrap(),
            json!({"tests": [{"test_id": "t1"}]})
        );
    }

    #[test]
    fn reads_an_invocation_with_its_runs_transcripts_and_verdicts() {
        let invocation: TestInvocation = serde_json::from_value(json!({
            "id": "inv_1", "agent_id": "agent_1", "created_at": 1739537000, "repeat_count": null,
            "test_runs": [
                {"test_run_id": "run_1", "test_id": "t1", "test_invocation_id": "inv_1", "agent_id": "agent_1",
                 "status": "failed",
                 "agent_responses": [
                    {"role": "user", "message": "Hello?", "time_in_call_secs": 0},
                    {"role": "agent", "message": "Hi, this is Northwind.", "time_in_call_secs": 1,
                     "tool_calls": [{"request_id": "r1", "tool_name": "end_call", "params_as_json": "{}",
                                     "tool_has_been_called": true, "type": "system"}]}],
                 "condition_result": {"result": "failure",
                    "rationale": {"messages": ["No price was asked for."], "summary": "Failed one condition."}},
                 "test_info": {"type": "simulation"}},
                {"test_run_id": "run_2", "test_id": "t2", "test_invocation_id": "inv_1", "agent_id": "agent_1",
                 "status": "pending"}
            ]
        }))
        .unwrap();
        assert!(!invocation.is_finished());
        let run = &invocation.test_runs[0];
        assert_eq!(run.status, TestRunStatus::Failed);
        let turns = run.agent_responses.as_ref().unwrap();
        assert_eq!(turns[1].role, TranscriptRole::Agent);
        assert_eq!(turns[1].tool_calls[0].tool_name, "end_call");
        let verdict = run.condition_result.as_ref().unwrap();
        assert_eq!(verdict.result, EvaluationResult::Failure);
        assert_eq!(verdict.rationale.as_ref().unwrap().messages, ["No price was asked for."]);
        assert_eq!(invocation.test_runs[1].agent_responses, None);
    }
}
