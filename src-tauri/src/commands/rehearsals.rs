//! Commands about rehearsals: an agent's suite (shown, saved after checking), the modes it can
//! be rehearsed in, rehearsing it (progress comes as `rehearsalProgress` events), and its current
//! version's last results per scenario with each run's transcript.

use switchboard_core::{AgentId, RehearsalMode, ScenarioResult, Suite};
use switchboard_engine::rehearsal::{AgentSuite, RehearsalModeStatus, RehearsalPlan, RehearsalReport};

use super::{Reply, engine};
use crate::operations::Ctx;

/// The agent's suite: saved for it, else shipped with its preset.
pub async fn agent_suite(ctx: &Ctx<'_>, agent_id: AgentId) -> Reply<AgentSuite> {
    Ok(engine(ctx.console)?.agent_suite(agent_id).await?)
}

/// Saves the agent's suite; every problem is reported at once, with its path.
pub async fn save_agent_suite(ctx: &Ctx<'_>, agent_id: AgentId, suite: Suite) -> Reply<AgentSuite> {
    let engine = engine(ctx.console)?;
    engine.save_agent_suite(agent_id, suite).await?;
    Ok(engine.agent_suite(agent_id).await?)
}

/// The modes the agent can be rehearsed in, each with why not when it cannot now.
pub async fn rehearsal_modes(ctx: &Ctx<'_>, agent_id: AgentId) -> Reply<Vec<RehearsalModeStatus>> {
    Ok(engine(ctx.console)?.rehearsal_modes(agent_id).await?)
}

/// Rehearses the agent (one scenario, or all) `runs` times each in `mode`.
pub async fn rehearse_agent(
    ctx: &Ctx<'_>,
    agent_id: AgentId,
    mode: RehearsalMode,
    scenario: Option<String>,
    runs: u32,
) -> Reply<Vec<ScenarioResult>> {
    let plan = RehearsalPlan { agent_id, mode, scenario, runs: runs.clamp(1, 100) };
    Ok(engine(ctx.console)?.rehearse(plan).await?)
}

/// The last results of the agent's current version, per scenario of its suite.
pub async fn rehearsal_report(ctx: &Ctx<'_>, agent_id: AgentId) -> Reply<RehearsalReport> {
    Ok(engine(ctx.console)?.rehearsal_report(agent_id).await?)
}
