//! Six scenarios × five runs of the Vendor quote agent's suite on the simulator, through the
//! real engine and an SQLite file (each run judged, kept and published): wall time per
//! rehearsal and per run. `cargo bench -p switchboard-sim --bench rehearsal` prints the figures
//! (3 rehearsals); under `cargo test` it rehearses once, one run each, as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::RehearsalMode;
use switchboard_engine::rehearsal::RehearsalPlan;
use switchboard_engine::{Engine, EngineSettings, sample};
use switchboard_sim::rehearsal::SimRehearser;
use switchboard_store::Store;

const SCENARIOS: usize = 6;

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (runs, repeats) = if benchmarking { (5, 3) } else { (1, 1) };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("bench.sqlite3")).unwrap());
    sample::seed_once(&store, sample::PRESETS, &[]).unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let walls: Vec<Duration> = runtime.block_on(async {
        let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
        engine.register_rehearser(Arc::new(SimRehearser));
        let mut suite = engine.agent_suite(agent.id).await.unwrap().suite;
        suite.scenarios.truncate(SCENARIOS);
        engine.save_agent_suite(agent.id, suite).await.unwrap();
        let plan = RehearsalPlan { agent_id: agent.id, mode: RehearsalMode::Simulator, scenario: None, runs };
        let mut walls = Vec::new();
        for _ in 0..repeats {
            let started = Instant::now();
            let results = engine.rehearse(plan.clone()).await.unwrap();
            walls.push(started.elapsed());
            assert_eq!(results.len(), SCENARIOS);
            assert!(results.iter().all(|result| result.runs.len() == runs as usize && result.passed()));
        }
        walls
    });
    let runs_each = (SCENARIOS * runs as usize) as f64;
    if benchmarking {
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        for (n, wall) in walls.iter().enumerate() {
            println!(
                "rehearsal {}: {SCENARIOS} scenarios x {runs} runs on the simulator: wall {:.1} ms, {:.2} ms a run",
                n + 1,
                wall.as_secs_f64() * 1e3,
                wall.as_secs_f64() * 1e3 / runs_each
            );
        }
    }
}
