//! `switchboard rehearse`: an agent's suite (or one scenario) run N times on the simulator, in
//! text or at its hosted provider, each scenario's pass rate and every failed check's reason
//! printed (or the results as JSON); the exit status is non-zero when any scenario fails, so
//! suites can run in CI. Holds the profile (see `profile_lock`) meanwhile.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use switchboard_core::{RehearsalMode, ScenarioResult};
use switchboard_engine::rehearsal::{RehearsalPlan, agent_version};

use crate::keychain::Keychain;
use crate::output::print;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, ProfileLock};
use crate::startup::{self, Startup};

/// The arguments of `rehearse`.
#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// The agent to rehearse, by name.
    #[arg(long)]
    agent: String,
    /// Only this scenario of its suite, by name.
    #[arg(long)]
    scenario: Option<String>,
    /// Runs of each scenario.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// How to rehearse: the simulator's scripted agent, the agent's own model turn in text
    /// (needs an Anthropic key), or at its hosted provider (ElevenLabs, Vapi: needs its key).
    #[arg(long, value_enum, default_value = "simulator")]
    mode: ModeArg,
    /// Read keys only from the environment (ANTHROPIC_API_KEY), never the OS keychain.
    #[arg(long)]
    no_keychain: bool,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    Simulator,
    Text,
    Provider,
}

/// Rehearses the agent and reports; fails when any scenario does.
pub fn run(args: RehearseArgs) -> Result<ExitCode, String> {
    let paths = DataPaths::resolve();
    let _lock = ProfileLock::acquire(&paths, Holder::Rehearse).map_err(|err| err.to_string())?;
    let store = startup::open_store(&paths)?;
    let agents = store.list_agents().map_err(|err| err.to_string())?;
    let agent = agents
        .iter()
        .find(|agent| agent.config.name.eq_ignore_ascii_case(args.agent.trim()))
        .ok_or_else(|| format!("no agent named {:?}", args.agent))?;
    let plan = RehearsalPlan {
        agent_id: agent.id,
        mode: match args.mode {
            ModeArg::Simulator => RehearsalMode::Simulator,
            ModeArg::Text => RehearsalMode::Text,
            ModeArg::Provider => RehearsalMode::Provider,
        },
        scenario: args.scenario.clone(),
        runs: args.runs,
    };
    let version = agent_version(&agent.config);
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let keychain = Arc::new(if args.no_keychain { Keychain::environment_only() } else { Keychain::default() });
    let results =
        runtime.block_on(startup::run_job(&paths, Startup::one_job(store, keychain), |engine| async move {
            engine.rehearse(plan).await.map_err(|err| err.to_string())
        }))?;
    let passed = results.iter().all(ScenarioResult::passed);
    if args.json {
        let value = serde_json::json!({ "agentVersion": version, "passed": passed, "results": results });
        print(&(serde_json::to_string_pretty(&value).map_err(|err| err.to_string())? + "\n"));
    } else {
        print(&report(&agent.config.name, &version, &results));
    }
    Ok(if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Each scenario's pass rate, and the reason of every failed check.
fn report(agent: &str, version: &str, results: &[ScenarioResult]) -> String {
    let mut out = format!("{agent} (version {version})\n");
    for result in results {
        let passed = result.runs.iter().filter(|run| run.passed()).count();
        let verdict = if result.passed() { "pass" } else { "FAIL" };
        out.push_str(&format!("{verdict}  {passed}/{}  {}\n", result.runs.len(), result.scenario));
        for (n, run) in result.runs.iter().enumerate() {
            for check in run.checks.iter().filter(|check| !check.passed) {
                out.push_str(&format!("      run {}: {}: {}\n", n + 1, check.expectation, check.reason));
            }
        }
    }
    let failed = results.iter().filter(|result| !result.passed()).count();
    out.push_str(&format!("{} of {} scenarios passed\n", results.len() - failed, results.len()));
    out
}
