//! Transcript lines: who said what, and when in the call.

use serde::{Deserialize, Serialize};

/// Who spoke a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Speaker {
    /// The AI agent calling on the dispatcher's behalf.
    Agent,
    /// The person called (vendor, driver).
    Callee,
}

impl Speaker {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Callee => "callee",
        }
    }

    /// Parses the text form written by [`Speaker::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "agent" => Some(Self::Agent),
            "callee" => Some(Self::Callee),
            _ => None,
        }
    }
}

/// One utterance of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TranscriptLine {
    /// Position in the call, from 0; unique per call.
    pub seq: u32,
    pub speaker: Speaker,
    pub text: String,
    /// Milliseconds from the moment the call was answered.
    pub offset_ms: u32,
}
