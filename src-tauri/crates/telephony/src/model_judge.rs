//! The model judge of rehearsals: the transcript and the scenario's free-text expectations go to
//! the Anthropic model in force, which gives a verdict with a reason on each through a tool; an
//! expectation it gives none on is not passed.

use serde_json::{Value, json};
use switchboard_core::{Check, RehearsalEnding, Rehearsed, Speaker};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{Judge, RehearsalError};
use switchboard_providers::anthropic::{AnthropicClient, Message, MessageRequest, StreamEvent, Tool};

use crate::ProviderClients;

/// The judge's instructions (the fakes recognise a judging request by their start).
pub const JUDGE_PROMPT: &str = "You judge a rehearsed phone call between an AI agent and a callee against \
    expectations that simple checks cannot read. For every expectation, call record_verdict once: its \
    number, whether the call meets it, and the reason in one sentence that quotes the transcript.";
/// The tool the judge answers with.
pub const RECORD_VERDICT: &str = "record_verdict";
/// The model that judges, and its answer's length.
const MODEL: &str = "claude-sonnet-4-5";
const MAX_TOKENS: u32 = 800;

/// Judges with the Anthropic client in force when a run is judged.
#[derive(Clone)]
pub struct ModelJudge {
    clients: ProviderClients,
}

impl ModelJudge {
    pub fn new(clients: ProviderClients) -> Self {
        Self { clients }
    }

    fn client(&self) -> Result<AnthropicClient, RehearsalError> {
        self.clients.current().anthropic.clone().ok_or_else(|| {
            RehearsalError::Unavailable("the model judge needs an Anthropic API key (Settings → Keys)".into())
        })
    }
}

impl Judge for ModelJudge {
    fn available(&self) -> Result<(), RehearsalError> {
        self.client().map(drop)
    }

    fn judge(
        &self,
        rehearsed: Rehearsed,
        expectations: Vec<String>,
    ) -> BoxFuture<'static, Result<Vec<Check>, RehearsalError>> {
        let client = self.client();
        Box::pin(async move {
            let request = MessageRequest {
                model: MODEL.into(),
                max_tokens: MAX_TOKENS,
                system: JUDGE_PROMPT.into(),
                messages: vec![Message::user(brief(&rehearsed, &expectations))],
                tools: vec![verdict_tool()],
            };
            let failed = |error: switchboard_providers::ProviderError| {
                RehearsalError::Failed(format!("the model judge failed: {error}"))
            };
            let mut stream = client?.stream_message(&request).await.map_err(failed)?;
            let mut verdicts: Vec<Option<(bool, String)>> = vec![None; expectations.len()];
            while let Some(event) = stream.next().await {
                if let StreamEvent::ToolUse { name, input, .. } = event.map_err(failed)?
                    && name == RECORD_VERDICT
                    && let Some((index, verdict)) = read_verdict(&input, expectations.len())
                {
                    verdicts[index] = Some(verdict);
                }
            }
            Ok(expectations
                .into_iter()
                .zip(verdicts)
                .map(|(expectation, verdict)| {
                    let (passed, reason) = verdict.unwrap_or((false, "the judge gave no verdict on it".into()));
                    Check { expectation, passed, reason }
                })
                .collect())
        })
    }
}

/// The expectations, numbered from 1, then the transcript and how the call ended.
fn brief(rehearsed: &Rehearsed, expectations: &[String]) -> String {
    let mut text = String::from("Expectations:\n");
    for (n, expectation) in expectations.iter().enumerate() {
        text.push_str(&format!("{}. {expectation}\n", n + 1));
    }
    text.push_str("\nTranscript:\n");
    for line in &rehearsed.transcript {
        let who = if line.speaker == Speaker::Agent { "agent" } else { "callee" };
        text.push_str(&format!("{who}: {}\n", line.text));
    }
    let ending = match &rehearsed.ending {
        RehearsalEnding::Agent { reason } => format!("the agent ended the call ({reason})"),
        RehearsalEnding::Transferred { reason } => format!("the agent transferred the callee ({reason})"),
        RehearsalEnding::Callee => "the callee hung up".to_owned(),
        RehearsalEnding::TurnLimit => "it was cut off at the turn limit".to_owned(),
        RehearsalEnding::Failed { reason } => format!("it broke off: {reason}"),
    };
    text.push_str(&format!("\nThe call ended: {ending}.\n"));
    text
}

fn verdict_tool() -> Tool {
    Tool {
        name: RECORD_VERDICT.into(),
        description: "Record the verdict on one expectation.".into(),
        input_schema: json!({"type": "object", "properties": {
            "number": {"type": "integer", "description": "The expectation's number."},
            "passed": {"type": "boolean"},
            "reason": {"type": "string", "description": "Why, in one sentence quoting the transcript."}},
            "required": ["number", "passed", "reason"]}),
    }
}

/// The expectation's index and its verdict, when `input` names one of `count`.
fn read_verdict(input: &Value, count: usize) -> Option<(usize, (bool, String))> {
    let number = usize::try_from(input.get("number")?.as_u64()?).ok()?;
    let index = number.checked_sub(1).filter(|index| *index < count)?;
    let passed = input.get("passed")?.as_bool()?;
    let reason = input.get("reason").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    Some((index, (passed, reason)))
}
