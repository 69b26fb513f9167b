//! A 1,000-vendor quote campaign on the simulator, end to end (both rounds and the summary),
//! time-compressed: wall time, peak memory and database size.
//! `cargo bench -p switchboard-sim --bench campaign_run` prints the figures; under `cargo test`
//! it runs 20 vendors once as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::UnixMillis;
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::{Engine, EngineSettings, sample};
use switchboard_fakes::fixtures;
use switchboard_sim::{SimSettings, Simulator};
use switchboard_store::Store;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (count, time_scale, concurrency) = if benchmarking { (1_000, 2_000.0, 100) } else { (20, 2_000.0, 10) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite3");
    let store = Arc::new(Store::open(&path).unwrap());
    let file = |name, json| sample::SampleFile { name, json };
    sample::seed_once(
        &store,
        &[
            file("vendor-quote.json", include_str!("../../../../assets/presets/vendor-quote.json")),
            file("vendor-negotiation.json", include_str!("../../../../assets/presets/vendor-negotiation.json")),
        ],
        &[],
    )
    .unwrap();
    let ids: Vec<_> = store
        .write_contacts(&fixtures::vendor_writes(count, 312), UnixMillis(1))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let (rounds, calls) = runtime.block_on(async {
        let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
        engine.register_backend(Arc::new(Simulator::new(SimSettings { time_scale, ..SimSettings::default() })));
        let engine = Arc::new(engine);
        let spec = CampaignSpec {
            name: "bench".into(),
            kind: CampaignKind::VendorQuote,
            agent_id: agent("Vendor quote"),
            negotiation_agent_id: Some(agent("Vendor negotiation")),
            contacts: ids,
            concurrency,
            max_attempts: 2,
            retry_spacing_ms: 10,
            ignore_calling_windows: true,
            budget_usd: None,
            request: Some(fixtures::bolts_request(10_000)),
        };
        let id = engine.launch_campaign(spec).await.unwrap();
        loop {
            let campaign = store.campaign(id).unwrap().unwrap();
            if campaign.status == "completed" {
                break (campaign.round, store.calls_in_campaign(id).unwrap().len());
            }
            assert!(started.elapsed() < Duration::from_secs(600), "the campaign did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let wall = started.elapsed();
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let db_bytes = size(&path) + size(&path.with_extension("sqlite3-wal"));
    assert!(calls >= count, "every vendor was called");
    if benchmarking {
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!(
                "campaign_run: {count} vendors, {rounds} rounds, {calls} simulated calls (time scale {time_scale}, {concurrency} at once): \
                 wall {:.2} s, peak RSS {:.0} MiB, database {:.1} MiB (with WAL)",
                wall.as_secs_f64(),
                peak_rss_mib(),
                db_bytes as f64 / (1024.0 * 1024.0)
            );
        }
    }
}
