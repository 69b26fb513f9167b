//! Commands about rehearsals: an agent's suite (shown, saved after checking), the modes it can
//! be rehearsed in, rehearsing it (progress comes as `rehearsalProgress` events), and its current
//! version's last results per scenario with each run's transcript.

use switchboard_core::{AgentId, RehearsalMode, ScenarioResult, Suite};
use switchboard_engine::rehearsal::{AgentSuite, RehearsalModeStatus, RehearsalPlan, RehearsalReport};
use tauri::State;

use super::{Reply, engine};
use crate::console::Console;

/// The agent's suite: saved for it, else shipped with its preset.
#[tauri::command]
pub async fn agent_suite(console: State<'_, Console>, agent_id: AgentId) -> Reply<AgentSuite> {
    Ok(engine(&console)?.agent_suite(agent_id).await?)
}

/// Saves the agent's suite; every problem is reported at once, with its path.
#[tauri::command]
pub async fn save_agent_suite(console: State<'_, Console>, agent_id: AgentId, suite: Suite) -> Reply<AgentSuite> {
    let engine = engine(&console)?;
    engine.save_agent_suite(agent_id, suite).await?;
    Ok(engine.agent_suite(agent_id).await?)
}

/// The modes the agent can be rehearsed in, each with why not when it cannot now.
#[tauri::command]
pub async fn rehearsal_modes(console: State<'_, Console>, agent_id: AgentId) -> Reply<Vec<RehearsalModeStatus>> {
    Ok(engine(&console)?.rehearsal_modes(agent_id).await?)
}

/// Rehearses the agent (one scenario, or all) `runs` times each in `mode`.
#[tauri::command]
pub async fn rehearse_agent(
    console: State<'_, Console>,
    agent_id: AgentId,
    mode: RehearsalMode,
    scenario: Option<String>,
    runs: u32,
) -> Reply<Vec<ScenarioResult>> {
    let plan = RehearsalPlan { agent_id, mode, scenario, runs: runs.clamp(1, 100) };
    Ok(engine(&console)?.rehearse(plan).await?)
}

/// The last results of the agent's current version, per scenario of its suite.
#[tauri::command]
pub async fn rehearsal_report(console: State<'_, Console>, agent_id: AgentId) -> Reply<RehearsalReport> {
    Ok(engine(&console)?.rehearsal_report(agent_id).await?)
}
