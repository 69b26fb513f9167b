//! Types that cross from Rust to the console and exist only at this boundary.

use serde::{Deserialize, Serialize};
use switchboard_core::{BackendKind, CallId, CallSummary, FieldError};
use switchboard_engine::campaigns::{CallLeft, CampaignView};
use switchboard_engine::{EngineError, ErrorCode};
use switchboard_providers::{ConnectionCheck, Provider};
use ts_rs::TS;

/// An error as the console receives it: a stable code to act on, a message to show, and for
/// invalid forms the fields at fault.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), fields: Vec::new() }
    }

    /// A form with invalid fields.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
        Self { code: ErrorCode::InvalidInput, message, fields }
    }
}

impl From<EngineError> for CommandError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::InvalidSuite(problems) => Self::invalid(problems),
            err => Self::new(err.code(), err.to_string()),
        }
    }
}

impl From<switchboard_store::StoreError> for CommandError {
    fn from(err: switchboard_store::StoreError) -> Self {
        EngineError::from(err).into()
    }
}

/// A campaign just canceled, and what became of its calls on the line.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CampaignCanceled {
    pub campaign: CampaignView,
    /// Calls ended by the dispatcher.
    pub ended: Vec<CallId>,
    /// Calls left to finish, and why.
    pub left: Vec<CallLeft>,
}

/// A transcript line that matched a History search, with its call.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HistoryHit {
    pub call: CallSummary,
    pub seq: u32,
    /// The line, each matched word between U+0002 and U+0003.
    pub snippet: String,
}

/// How much History remembers.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistorySettings {
    /// Past calls with a contact summarised into the next call's context (0 = none).
    pub memory_calls: u32,
    /// Days recordings are kept; `null` keeps them.
    pub retention_days: Option<u32>,
}

/// What forgetting a contact removed.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ForgetReport {
    pub calls: u32,
    pub recordings: u32,
    /// The contact was do-not-call: the number stays on the suppression list.
    pub number_suppressed: bool,
}

/// The folders and files an installation keeps.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InstallPaths {
    pub data_dir: String,
    pub database_path: String,
    pub log_dir: String,
}

/// Facts about this installation, for Settings and for the startup error screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    /// Where this installation keeps its files: `null` over a team server, whose paths are its
    /// own machine's business, not its clients' (not even an admin's: the server's own output
    /// and its host show them to whoever runs it).
    pub paths: Option<InstallPaths>,
    pub backends: Vec<BackendKind>,
    /// Why the console could not start (database unreadable, …); `null` when it runs.
    pub startup_error: Option<String>,
}

/// What testing a provider's connection found, as Settings shows it (never the key).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionResult {
    pub provider: String,
    pub outcome: ConnectionOutcome,
    /// Says what happened: the provider's answer (an excerpt, keys masked) when it failed.
    pub message: String,
}

/// How a connection test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionOutcome {
    Connected,
    /// The provider answered 401 or 403: the key is wrong, revoked or lacks a permission.
    KeyRefused,
    /// No usable answer: no connection, a timeout, or another error status.
    Unreachable,
    /// The provider's key is not set.
    NotConfigured,
}

impl ConnectionResult {
    pub fn new(provider: Provider, check: ConnectionCheck) -> Self {
        let (outcome, message) = match check {
            ConnectionCheck::Connected => (ConnectionOutcome::Connected, format!("Connected to {provider}.")),
            ConnectionCheck::KeyRefused(error) => (ConnectionOutcome::KeyRefused, error.to_string()),
            ConnectionCheck::Unreachable(error) => (ConnectionOutcome::Unreachable, error.to_string()),
        };
        Self { provider: provider.to_string(), outcome, message }
    }

    pub fn not_configured(provider: Provider, message: String) -> Self {
        Self { provider: provider.to_string(), outcome: ConnectionOutcome::NotConfigured, message }
    }
}
