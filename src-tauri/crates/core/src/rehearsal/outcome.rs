//! What a rehearsal produced: the conversation of one run, the checks that judged it, and the
//! pass rate of a scenario over its runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Speaker, TranscriptLine};

/// How a scenario is rehearsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum RehearsalMode {
    /// The simulator's scripted agent (its data fields and transfer number) against the callee.
    Simulator,
    /// The agent's real model turn, in text, against the callee.
    Text,
    /// The full realtime pipeline against the loopback fakes.
    Audio,
    /// The agent's hosted provider's own test or chat API.
    Provider,
}

impl RehearsalMode {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Text => "text",
            Self::Audio => "audio",
            Self::Provider => "provider",
        }
    }

    /// Parses the text form written by [`RehearsalMode::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Simulator, Self::Text, Self::Audio, Self::Provider].into_iter().find(|mode| mode.as_str() == text)
    }
}

/// How a rehearsed call ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum RehearsalEnding {
    /// The agent ended it (its `end_call`, or every required value in), for this reason.
    Agent { reason: String },
    /// The agent transferred the callee.
    Transferred { reason: String },
    /// The callee hung up.
    Callee,
    /// It ran past the scenario's turn limit (or the rehearsal's own) and was cut off.
    TurnLimit,
    /// The agent failed (its model or backend gave an error).
    Failed { reason: String },
}

/// What one run of a scenario produced, before judging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Rehearsed {
    pub transcript: Vec<TranscriptLine>,
    /// Values the agent recorded, by field key.
    pub fields: BTreeMap<String, String>,
    pub ending: RehearsalEnding,
    /// Whether the run marked the contact do-not-call (the callee asked to be taken off the list).
    pub do_not_call: bool,
    /// The provider's own verdict on its test (ElevenLabs' success conditions), shown beside the
    /// engine's checks; the engine's checks alone decide the run.
    #[serde(default)]
    pub provider_verdict: Option<Check>,
}

impl Rehearsed {
    /// The lines of one side, in order.
    pub fn said_by(&self, speaker: Speaker) -> impl Iterator<Item = &TranscriptLine> {
        self.transcript.iter().filter(move |line| line.speaker == speaker)
    }
}

/// One expectation, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Which expectation ("fields.unit_price", "mustNotSay", "endsPolitely", ...).
    pub expectation: String,
    pub passed: bool,
    /// Why it passed or failed, in words.
    pub reason: String,
}

/// One run of a scenario, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RehearsalRun {
    pub scenario: String,
    pub mode: RehearsalMode,
    /// The agent version (a hash of its configuration) rehearsed.
    pub agent_version: String,
    pub rehearsed: Rehearsed,
    pub checks: Vec<Check>,
    /// The model judge's verdicts on the free-text expectations.
    pub judged: Vec<Check>,
}

impl RehearsalRun {
    /// Whether every check and every judged expectation passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed) && self.judged.iter().all(|judged| judged.passed)
    }
}

/// A scenario's runs and how many passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ScenarioResult {
    pub scenario: String,
    pub runs: Vec<RehearsalRun>,
}

impl ScenarioResult {
    /// The share of runs that passed, 0 to 1 (0 with no runs).
    pub fn pass_rate(&self) -> f64 {
        if self.runs.is_empty() {
            return 0.0;
        }
        self.runs.iter().filter(|run| run.passed()).count() as f64 / self.runs.len() as f64
    }

    /// Whether every run passed (and there was one).
    pub fn passed(&self) -> bool {
        !self.runs.is_empty() && self.runs.iter().all(RehearsalRun::passed)
    }

    /// "scenario / expectation: reason" of every failed check of every run in `results`.
    pub fn failures(results: &[ScenarioResult]) -> Vec<String> {
        results
            .iter()
            .flat_map(|result| &result.runs)
            .flat_map(|run| run.checks.iter().filter(|check| !check.passed).map(move |check| (run, check)))
            .map(|(run, check)| format!("{} / {}: {}", run.scenario, check.expectation, check.reason))
            .collect()
    }
}
