//! Campaign throughput with 1, 2 and 3 `switchboard serve` nodes on one Postgres: a quote
//! campaign on the simulator (time-compressed), both rounds, in calls per second from the first
//! call to the campaign's end, as the database records them. Each figure is the median and the
//! worst of repeated runs, each on a fresh database.
//! `cargo bench -p switchboard --bench nodes` prints one line per node count; under
//! `cargo test -p switchboard --bench nodes` it runs 20 vendors once per node count as a smoke test.

// Shared with the test that kills nodes (whose kill this bench has no use for).
#[allow(dead_code)]
#[path = "../tests/serve_nodes/mod.rs"]
mod serve_nodes;

use std::time::{Duration, Instant};

use serve_nodes::{Node, launch};
use switchboard_store::Store;

/// Attempts per vendor and round.
const MAX_ATTEMPTS: u32 = 2;

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (vendors, runs) = if benchmarking { (1_000, 3) } else { (20, 1) };
    for nodes in 1..=3 {
        let mut rates: Vec<f64> = (0..runs).map(|_| calls_per_second(nodes, vendors)).collect();
        rates.sort_by(f64::total_cmp);
        if benchmarking {
            // A bench binary's output is its result.
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "nodes: {nodes} node(s), {vendors} vendors, {runs} runs (time scale 2000): median {:.1} calls/s, worst {:.1} calls/s",
                    rates[rates.len() / 2],
                    rates[0]
                );
            }
        }
    }
}

/// One run: `nodes` nodes on a fresh database run a campaign over `vendors` to its end.
fn calls_per_second(nodes: usize, vendors: usize) -> f64 {
    let url = switchboard_store::testing::postgres_url();
    let store = Store::open_postgres(&url).unwrap();
    let (id, _) = launch(&store, vendors, MAX_ATTEMPTS);
    let mut running: Vec<Node> = (0..nodes).map(|_| Node::start(&url, tempfile::tempdir().unwrap())).collect();
    let give_up = Instant::now() + Duration::from_secs(1_800);
    let ended_at = loop {
        let campaign = store.campaign(id).unwrap().unwrap();
        if let Some(ended_at) = campaign.ended_at {
            assert_eq!(campaign.status, "completed", "{:?}", campaign.status_reason);
            break ended_at;
        }
        assert!(Instant::now() < give_up, "the campaign did not finish");
        std::thread::sleep(Duration::from_millis(100));
    };
    for node in &mut running {
        let (clean, log) = node.terminate();
        assert!(clean, "a node did not stop cleanly:\n{log}");
    }
    let calls = store.calls_in_campaign(id).unwrap();
    assert!(calls.len() >= vendors, "every vendor was called");
    let first = calls.iter().map(|call| call.created_at.0).min().unwrap();
    calls.len() as f64 / ((ended_at.0 - first).max(1) as f64 / 1_000.0)
}
