//! Engine errors, each with a stable code the console can act on without matching text.

use serde::{Deserialize, Serialize};
use switchboard_core::{AgentId, BackendKind, ContactId, MissingVariables, PhoneError};
use switchboard_store::StoreError;

use crate::BackendError;

/// Stable machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    NotFound,
    /// A form or file had invalid values; the fields say which.
    InvalidInput,
    InvalidPhone,
    DoNotCall,
    MissingVariables,
    BackendUnavailable,
    BackendFailed,
    /// The call could cost more than the per-call limit in Settings.
    OverCallLimit,
    /// No audio output device could play (the app works on without sound).
    AudioUnavailable,
    /// The OS keychain is missing, locked or refused.
    KeychainUnavailable,
    Storage,
    /// No session, or one that expired or was never given (a team server's 401).
    Unauthorized,
    /// Too many failed sign-ins for the account or from the address (a team server's 429).
    TooManyAttempts,
    /// Signed in, but the account's role may not do this (a team server's 403).
    Forbidden,
    /// The team server the console is signed in to could not be reached or answered oddly.
    TeamServer,
}

/// Why the engine refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("contact {0} does not exist")]
    ContactNotFound(ContactId),
    #[error("agent {0} does not exist")]
    AgentNotFound(AgentId),
    #[error("{contact} is on the do-not-call list")]
    DoNotCall { contact: String },
    #[error("cannot call {contact}: {reason}")]
    InvalidPhone { contact: String, reason: PhoneError },
    #[error("cannot start the call with agent {agent}: {missing}")]
    MissingVariables { agent: String, missing: MissingVariables },
    #[error("the {0:?} backend is not available in this build")]
    BackendUnavailable(BackendKind),
    #[error(
        "not calling {contact}: a call with {agent} may last {minutes} min, which on {} could cost up to \
         ${max_usd:.2} at the rates in Settings, above the per-call limit of ${limit_usd:.2}",
        backend.label()
    )]
    OverCallLimit { contact: String, agent: String, backend: BackendKind, minutes: u32, max_usd: f64, limit_usd: f64 },
    #[error("the call could not be placed: {0}")]
    Backend(#[from] BackendError),
    #[error("the agent could not be saved on its provider: {0}")]
    AgentSync(BackendError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Switchboard is shutting down")]
    ShuttingDown,
    #[error("{0}")]
    InvalidRequest(String),
    /// A rehearsal suite with problems, each with its path.
    #[error("the suite is not valid: {}", crate::rehearsal::describe_problems(.0))]
    InvalidSuite(Vec<switchboard_core::FieldError>),
}

impl EngineError {
    /// The passing condition that made a store write fail, if that is what this error is.
    pub fn write_failure(&self) -> Option<switchboard_store::WriteFailure> {
        match self {
            Self::Store(err) => err.write_failure(),
            _ => None,
        }
    }

    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ContactNotFound(_) | Self::AgentNotFound(_) => ErrorCode::NotFound,
            Self::InvalidPhone { .. } => ErrorCode::InvalidPhone,
            Self::DoNotCall { .. } => ErrorCode::DoNotCall,
            Self::MissingVariables { .. } => ErrorCode::MissingVariables,
            Self::BackendUnavailable(_) => ErrorCode::BackendUnavailable,
            Self::OverCallLimit { .. } => ErrorCode::OverCallLimit,
            Self::Backend(_) | Self::AgentSync(_) => ErrorCode::BackendFailed,
            Self::Store(_) | Self::ShuttingDown => ErrorCode::Storage,
            Self::InvalidRequest(_) | Self::InvalidSuite(_) => ErrorCode::InvalidInput,
        }
    }
}
