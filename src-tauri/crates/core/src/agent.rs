//! Agent configurations: what an AI voice agent says, collects and runs on.

use serde::{Deserialize, Serialize};

use crate::AgentId;

/// The call backend an agent runs on. Every backend sits behind the engine's `CallBackend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// The built-in simulated carrier: needs no account.
    Simulator,
    ElevenLabs,
    Pipeline,
    Ultravox,
    Vapi,
    Gather,
}

impl BackendKind {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::ElevenLabs => "eleven-labs",
            Self::Pipeline => "pipeline",
            Self::Ultravox => "ultravox",
            Self::Vapi => "vapi",
            Self::Gather => "gather",
        }
    }

    /// Parses the text form written by [`BackendKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Simulator, Self::ElevenLabs, Self::Pipeline, Self::Ultravox, Self::Vapi, Self::Gather]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// What an agent is for; presets and campaign kinds key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum AgentPurpose {
    VendorQuote,
    VendorNegotiation,
    DriverViolation,
    Generic,
}

impl AgentPurpose {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VendorQuote => "vendor-quote",
            Self::VendorNegotiation => "vendor-negotiation",
            Self::DriverViolation => "driver-violation",
            Self::Generic => "generic",
        }
    }
}

/// The type of a value an agent collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    Text,
    Number,
    Integer,
    Boolean,
}

/// One piece of data the agent must obtain during the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DataField {
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// What to ask for, in the agent's words.
    pub description: String,
    pub required: bool,
}

/// An agent's configuration as the dispatcher edits it (and as presets ship in `assets/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentConfig {
    pub name: String,
    pub purpose: AgentPurpose,
    pub backend: BackendKind,
    /// The organisation the agent calls for (`{{organization}}` in templates).
    pub organization: String,
    /// System prompt, with `{{variables}}`.
    pub system_prompt: String,
    /// The first thing the agent says when answered, with `{{variables}}`.
    pub first_message: String,
    pub data_fields: Vec<DataField>,
    /// Longest the call may last before the agent wraps up.
    pub max_duration_secs: u32,
}

/// A stored agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: AgentId,
    #[serde(flatten)]
    pub config: AgentConfig,
}
