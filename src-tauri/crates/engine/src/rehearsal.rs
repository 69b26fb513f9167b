//! Rehearsing an agent before it dials a real person: its suite (shipped with its preset, or
//! edited in the window), the agent version rehearsed, and the `Rehearser` seam each mode
//! (simulator, text, audio, provider) plugs into.

mod rehearser;
mod suite_file;
mod version;

pub use rehearser::{RehearsalCall, RehearsalError, Rehearser};
pub use suite_file::{SHIPPED_SUITES, SuiteFileError, parse_suite, shipped_suite, validate_suite};
pub use version::agent_version;
