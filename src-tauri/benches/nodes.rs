//! Campaign throughput with 1, 2 and 3 `switchboard serve` nodes on one Postgres: a quote
//! campaign on the simulator (time-compressed), both rounds, each run on a Postgres cluster of
//! its own. Two figures per node count, each the median and the worst of repeated runs:
//! - calls per second from the first call to the campaign's end, as the database records them.
//!   Nodes and Postgres share this machine's cores, so it cannot grow with nodes here, and it
//!   moves with whatever else runs;
//! - the CPU time one call costs: user and system time of the nodes and of the cluster's
//!   processes until the campaign's end, over the calls made. That is what spreads over
//!   machines (a core serves 1 / CPU-per-call calls a second), and its ratio from one node to
//!   three is what coordinating nodes costs.
//!
//! `cargo bench -p switchboard --bench nodes` runs 1,000 vendors 3 times per node count; under
//! `cargo test -p switchboard --bench nodes` it runs 20 vendors once per node count as a smoke
//! test. `-- --vendors N` runs N vendors instead.

// Shared with the test that kills nodes (whose kill this bench has no use for).
#[allow(dead_code)]
#[path = "../tests/serve_nodes/mod.rs"]
mod serve_nodes;

use std::time::{Duration, Instant};

use serve_nodes::{Node, TIME_SCALE, launch};
use switchboard_store::Store;
use switchboard_store::testing::PrivateCluster;

/// Attempts per vendor and round.
const MAX_ATTEMPTS: u32 = 2;

/// How late a node's heartbeat may be before another declares it dead: no node dies here, and
/// on a loaded machine a heartbeat can be seconds late (a node declared dead would stop the run).
const NODE_EXPIRY_MS: &str = "15000";

/// What one run came to.
struct Run {
    calls_per_second: f64,
    /// CPU time per call, in milliseconds: the nodes', the cluster's.
    nodes_cpu_ms: f64,
    postgres_cpu_ms: f64,
}

impl Run {
    fn cpu_ms(&self) -> f64 {
        self.nodes_cpu_ms + self.postgres_cpu_ms
    }
}

// A bench binary's output is its result.
#[allow(clippy::print_stdout)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|arg| arg == "--bench");
    let (mut vendors, runs) = if benchmarking { (1_000, 3) } else { (20, 1) };
    if let Some(at) = args.iter().position(|arg| arg == "--vendors") {
        vendors = args.get(at + 1).and_then(|n| n.parse().ok()).expect("--vendors takes a number");
    }
    let mut median_cpu = Vec::new();
    for nodes in 1..=3 {
        let mut results: Vec<Run> = (0..runs).map(|_| run(nodes, vendors)).collect();
        results.sort_by(|a, b| a.calls_per_second.total_cmp(&b.calls_per_second));
        let (rate_median, rate_worst) = (results[results.len() / 2].calls_per_second, results[0].calls_per_second);
        results.sort_by(|a, b| a.cpu_ms().total_cmp(&b.cpu_ms()));
        let (median, worst) = (&results[results.len() / 2], &results[results.len() - 1]);
        median_cpu.push(median.cpu_ms());
        println!(
            "nodes: {nodes} node(s), {vendors} vendors, {runs} runs (time scale {TIME_SCALE}): median {rate_median:.1} calls/s, \
             worst {rate_worst:.1} calls/s; CPU per call median {:.2} ms (nodes {:.2}, Postgres {:.2}), worst {:.2} ms \
             = {:.0} calls/s per core",
            median.cpu_ms(),
            median.nodes_cpu_ms,
            median.postgres_cpu_ms,
            worst.cpu_ms(),
            1_000.0 / median.cpu_ms(),
        );
    }
    println!(
        "nodes: CPU per call, 3 nodes : 1 node = {:.2} (medians; what coordinating nodes costs)",
        median_cpu[2] / median_cpu[0]
    );
}

/// One run: `nodes` nodes on a cluster of their own run a campaign over `vendors` to its end.
fn run(nodes: usize, vendors: usize) -> Run {
    let mut cluster = PrivateCluster::init();
    cluster.start(&[]);
    let url = cluster.url("127.0.0.1");
    let store = Store::open_postgres(&url).unwrap();
    let (id, _) = launch(&store, vendors, MAX_ATTEMPTS);
    let postgres_before = tree_cpu(cluster.server_pid());
    let start = |_| {
        Node::start_with(&url, tempfile::tempdir().unwrap(), |serve| {
            serve
                .args(["--heartbeat-ms", "250", "--node-expiry-ms", NODE_EXPIRY_MS])
                .env("SWITCHBOARD_SIM_TIME_SCALE", TIME_SCALE);
        })
    };
    let mut running: Vec<Node> = (0..nodes).map(start).collect();
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
    let postgres_cpu = tree_cpu(cluster.server_pid()) - postgres_before;
    let nodes_cpu: Duration = running.iter().map(|node| process_cpu(node.pid() as i32)).sum();
    for node in &mut running {
        let (clean, log) = node.terminate();
        assert!(clean, "a node did not stop cleanly:\n{log}");
    }
    let calls = store.calls_in_campaign(id).unwrap();
    assert!(calls.len() >= vendors, "every vendor was called");
    let first = calls.iter().map(|call| call.created_at.0).min().unwrap();
    let per_call = |cpu: Duration| cpu.as_secs_f64() * 1_000.0 / calls.len() as f64;
    Run {
        calls_per_second: calls.len() as f64 / ((ended_at.0 - first).max(1) as f64 / 1_000.0),
        nodes_cpu_ms: per_call(nodes_cpu),
        postgres_cpu_ms: per_call(postgres_cpu),
    }
}

/// The CPU time (user and system) process `pid` used, with that of the children it waited for.
fn process_cpu(pid: i32) -> Duration {
    let stat = procfs::process::Process::new(pid).and_then(|process| process.stat()).expect("the process's stat");
    ticks(stat.utime + stat.stime + (stat.cutime + stat.cstime).unsigned_abs())
}

/// The CPU time process `pid` and its children used, living or ended: Postgres's server and
/// every process it started (sessions, writers, vacuum).
fn tree_cpu(pid: i32) -> Duration {
    let children = procfs::process::all_processes().expect("the process list").flatten();
    let children: Duration = children
        .filter_map(|process| process.stat().ok())
        .filter(|stat| stat.ppid == pid)
        .map(|stat| ticks(stat.utime + stat.stime))
        .sum();
    process_cpu(pid) + children
}

fn ticks(ticks: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / procfs::ticks_per_second() as f64)
}
