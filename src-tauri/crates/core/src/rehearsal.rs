//! Rehearsals: an agent's suite of scenarios (a simulated callee and what the agent must achieve
//! with them), what one run of a scenario produced, and the checks that judged it.

mod checks;
mod outcome;
mod scenario;

pub use checks::{asks_not_to_be_called, check_run};
pub use outcome::{Check, RehearsalEnding, RehearsalMode, RehearsalRun, Rehearsed, ScenarioResult};
pub use scenario::{Behaviour, Callee, Expectations, FieldExpectation, Scenario, Suite};
