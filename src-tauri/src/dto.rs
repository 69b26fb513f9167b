//! Types that cross from Rust to the console and exist only at this boundary.

use serde::Serialize;
use switchboard_core::{BackendKind, CallSummary, Offer, TranscriptLine};
use switchboard_engine::{EngineError, ErrorCode};
use ts_rs::TS;

/// An error as the console receives it: a stable code to act on and a message to show.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<EngineError> for CommandError {
    fn from(err: EngineError) -> Self {
        Self { code: err.code(), message: err.to_string() }
    }
}

impl From<switchboard_store::StoreError> for CommandError {
    fn from(err: switchboard_store::StoreError) -> Self {
        EngineError::from(err).into()
    }
}

/// A value the agent collected on a call.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CollectedField {
    pub key: String,
    pub value: String,
}

/// Everything the console shows about one call.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CallDetail {
    pub call: CallSummary,
    pub transcript: Vec<TranscriptLine>,
    pub fields: Vec<CollectedField>,
    pub offer: Option<Offer>,
}

/// Facts about this installation, for Settings and for the startup error screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub database_path: String,
    pub log_dir: String,
    pub backends: Vec<BackendKind>,
    /// Why the console could not start (database unreadable, …); `null` when it runs.
    pub startup_error: Option<String>,
}
