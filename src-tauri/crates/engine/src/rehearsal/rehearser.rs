//! The seam every rehearsal mode plugs into: given the call as a real one would be placed (the
//! agent, the contact, the rendered prompt and first message, the variables) and a scenario, a
//! `Rehearser` plays one run and reports what was said, collected and how it ended. Judging is
//! the engine's, the same for every mode.

use switchboard_core::{Agent, AgentConfig, Check, Contact, RehearsalMode, Rehearsed, Scenario, Variables};

use crate::BoxFuture;

/// One rehearsed call: what a real call with this agent to this contact would be given.
#[derive(Debug, Clone)]
pub struct RehearsalCall {
    pub agent: Agent,
    pub contact: Contact,
    /// The agent's system prompt with its variables (and the contact's past calls) filled in.
    pub system_prompt: String,
    /// The agent's first message with its variables filled in.
    pub first_message: String,
    /// The voicemail message (filled in), or `None` to hang up on a machine.
    pub voicemail: Option<String>,
    pub variables: Variables,
}

/// Why a run could not be played (not a failed expectation: that is a judged run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RehearsalError {
    /// This mode cannot rehearse this agent (no key, a backend with no test API), and why.
    #[error("{0}")]
    Unavailable(String),
    /// The run broke off (a provider or fake failed).
    #[error("the rehearsal failed: {0}")]
    Failed(String),
}

/// A way of rehearsing: one per mode, registered with the engine.
pub trait Rehearser: Send + Sync + 'static {
    /// Which mode this is.
    fn mode(&self) -> RehearsalMode;

    /// Whether this mode can rehearse an agent configured as `agent` now; the error says why not
    /// (the window shows it on the mode).
    fn available(&self, agent: &AgentConfig) -> Result<(), RehearsalError> {
        let _ = agent;
        Ok(())
    }

    /// Plays run `run` (from 1) of `scenario` for `call`.
    fn rehearse(
        &self,
        call: RehearsalCall,
        scenario: Scenario,
        run: u32,
    ) -> BoxFuture<'static, Result<Rehearsed, RehearsalError>>;
}

/// The model judge of free-text expectations ("apologises for the mix-up"), which the
/// deterministic checks cannot read.
pub trait Judge: Send + Sync + 'static {
    /// Whether the judge can work now; the error says why not.
    fn available(&self) -> Result<(), RehearsalError>;

    /// A verdict with its reason on each of `expectations` for the run `rehearsed`, in order.
    fn judge(
        &self,
        rehearsed: Rehearsed,
        expectations: Vec<String>,
    ) -> BoxFuture<'static, Result<Vec<Check>, RehearsalError>>;
}
