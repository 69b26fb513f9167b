//! Rehearsals on the simulator: scenario callees played by scripts (also the callees of text
//! rehearsals), and the simulator's scripted agent — its data fields, transfer number and
//! voicemail as configured — talking with them.

mod agent;
mod callee;
pub mod cues;

use std::sync::Arc;

use switchboard_core::{RehearsalMode, Rehearsed, Scenario};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{CalleeFactory, RehearsalCall, RehearsalError, Rehearser, converse};

pub use agent::ScriptedAgent;
pub use callee::ScriptedCallee;

/// The scripted callee of each scenario, for any mode that plays the callee itself.
pub fn scripted_callees() -> CalleeFactory {
    Arc::new(|scenario, call| Box::new(ScriptedCallee::new(scenario, call)))
}

/// Rehearses on the simulator: its scripted agent against the scenario's scripted callee.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimRehearser;

impl Rehearser for SimRehearser {
    fn mode(&self) -> RehearsalMode {
        RehearsalMode::Simulator
    }

    fn rehearse(
        &self,
        call: RehearsalCall,
        scenario: Scenario,
        _run: u32,
    ) -> BoxFuture<'static, Result<Rehearsed, RehearsalError>> {
        Box::pin(async move {
            let mut agent = ScriptedAgent::new(&call);
            let mut callee = ScriptedCallee::new(&scenario, &call);
            Ok(converse(&call, &mut agent, &mut callee).await)
        })
    }
}
