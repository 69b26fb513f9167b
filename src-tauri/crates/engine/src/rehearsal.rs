//! Rehearsing an agent before it dials a real person: its suite (shipped with its preset, or
//! edited in the window), the agent version rehearsed, and the `Rehearser` seam each mode
//! (simulator, text, audio, provider) plugs into.

mod conversation;
mod rehearser;
mod run;
mod suite_file;
mod version;

pub use conversation::{AgentReply, AgentSide, CalleeFactory, CalleeReply, CalleeSide, TURN_LIMIT, converse};
pub use rehearser::{Judge, RehearsalCall, RehearsalError, Rehearser};
pub(crate) use run::describe_problems;
pub use run::{AgentSuite, EarlierRehearsal, RehearsalModeStatus, RehearsalPlan, RehearsalReport, rehearsal_call};
pub use suite_file::{SuiteFileError, parse_suite, shipped_suite, validate_suite};
pub use version::agent_version;
