//! Events relayed between two nodes of one Postgres (a cluster of the bench's own): node b
//! publishes transcript lines (the most frequent event, about 200 bytes of JSON each) on its bus
//! as fast as the relay takes them (never more than half its queue ahead, so none is dropped),
//! and node a publishes each on its own bus. Reports events relayed per second, the CPU this
//! process spent per event (both nodes' publishing, sending and listening; Postgres's own is
//! apart) and the time one `publish` takes on the hot path, the median and worst of repeated
//! runs. `cargo bench -p switchboard-engine --bench event_relay` prints the figures; under
//! `cargo test` it runs once on a small input as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::{CallId, Speaker, TranscriptLine};
use switchboard_engine::nodes::NodeSettings;
use switchboard_engine::{Engine, EngineEvent, EngineSettings};
use switchboard_store::Store;
use switchboard_store::summary::median_and_worst;
use switchboard_store::testing::PrivateCluster;

/// What one run measured.
struct Run {
    relayed_per_second: f64,
    cpu_us_per_event: f64,
    publish_ns: f64,
}

/// This process's CPU time so far (user and system), from `/proc/self/stat` in clock ticks of
/// 10 ms.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("a process name") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn line(n: u32) -> EngineEvent {
    let text = format!("line {n}: we can do ten thousand M8 bolts at eleven cents each, delivered by Friday");
    EngineEvent::TranscriptLine {
        call_id: CallId(i64::from(n % 100) + 1),
        line: TranscriptLine { seq: n, speaker: Speaker::Callee, text, offset_ms: n * 10 },
    }
}

async fn node(url: &str) -> Engine {
    let store = Arc::new(Store::open_postgres(url).unwrap());
    let mut engine = Engine::new(store, EngineSettings::default());
    engine.register_node(NodeSettings::default()).await.unwrap();
    engine
}

async fn run(url: &str, total: u32) -> Run {
    let (a, b) = (node(url).await, node(url).await);
    let received = || a.relay_counts().unwrap().received;
    let ahead = 2_048;
    let (started, cpu_before) = (Instant::now(), cpu_time());
    let mut publishing = Duration::ZERO;
    for n in 0..total {
        while u64::from(n).saturating_sub(received()) >= ahead {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let event = line(n);
        let publish = Instant::now();
        b.bus().publish(event);
        publishing += publish.elapsed();
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while received() < u64::from(total) {
        assert!(Instant::now() < deadline, "only {} of {total} events relayed", received());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (elapsed, cpu) = (started.elapsed(), cpu_time() - cpu_before);
    let counts = b.relay_counts().unwrap();
    assert_eq!((counts.dropped, counts.too_big), (0, 0), "{counts:?}");
    Run {
        relayed_per_second: f64::from(total) / elapsed.as_secs_f64(),
        cpu_us_per_event: cpu.as_secs_f64() * 1e6 / f64::from(total),
        publish_ns: publishing.as_secs_f64() * 1e9 / f64::from(total),
    }
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (total, repeats) = if benchmarking { (100_000, 5) } else { (1_000, 1) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let runs: Vec<Run> = (0..repeats)
        .map(|_| {
            let mut cluster = PrivateCluster::init();
            cluster.start(&[]);
            runtime.block_on(run(&cluster.url("127.0.0.1"), total))
        })
        .collect();
    let figures = [
        ("events relayed/s", runs.iter().map(|run| run.relayed_per_second).collect::<Vec<_>>(), false, "", 0),
        ("this process's CPU per event", runs.iter().map(|run| run.cpu_us_per_event).collect(), true, " us", 1),
        ("publish on the hot path", runs.iter().map(|run| run.publish_ns).collect(), true, " ns", 0),
    ];
    for (figure, values, higher_is_worse, unit, decimals) in figures {
        let (median, worst) = median_and_worst(values, higher_is_worse);
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!(
                "event_relay: {total} transcript lines from one node to another over Postgres NOTIFY, {repeats} runs: \
                 {figure} median {median:.decimals$}{unit}, worst {worst:.decimals$}{unit}"
            );
        }
    }
}
