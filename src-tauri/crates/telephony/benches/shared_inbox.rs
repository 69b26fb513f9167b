//! Webhook ingest into the inbox shared by the nodes of one Postgres (a cluster of the bench's
//! own, with fsync on): signed Twilio status callbacks posted over loopback HTTP by concurrent
//! clients to 1 or 2 listeners, each its own node with its own store and inbox processor; every
//! call is run by the first node, so with 2 listeners half the webhooks land on the node that
//! does not run their call. Reports webhooks accepted per second (committed, then 200) and the
//! time from accept to applied (p50, p99), the median and worst of repeated runs.
//! `cargo bench -p switchboard-telephony --bench shared_inbox` prints the figures; under
//! `cargo test` it runs once on a small input as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::{CallState, UnixMillis};
use switchboard_engine::EventBus;
use switchboard_store::summary::median_and_worst;
use switchboard_store::testing::PrivateCluster;
use switchboard_store::{NewCall, NewNode, Store};
use switchboard_telephony::listener::{ListenerState, serve, spawn_inbox_processor};

#[path = "webhooks/post.rs"]
mod post;

const CLIENTS: usize = 16;

/// Twilio's status callback saying a call is in progress.
const IN_PROGRESS: &str = "CallStatus=in-progress&SequenceNumber=2";

fn now() -> UnixMillis {
    switchboard_engine::now()
}

/// `total` dialling calls, known by their Call SIDs, run by `store`'s node.
fn dialling_calls(store: &Store, total: usize) {
    use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
    seed_once(store, &PRESETS[..1], &SAMPLE_CONTACTS[..1]).unwrap();
    let agent = store.list_agents().unwrap().remove(0);
    let contact = store.list_contacts().unwrap().remove(0);
    for i in 0..total {
        let call = store
            .insert_call(&NewCall {
                contact_id: contact.id,
                agent_id: agent.id,
                backend: agent.config.backend,
                phone_e164: contact.phone_e164.clone().unwrap(),
                created_at: now(),
                campaign: None,
            })
            .unwrap();
        store.advance_call(call.id, CallState::Dialing, None, now()).unwrap();
        store.set_provider_call_id(call.id, &post::call_sid(i)).unwrap();
    }
}

/// What one run measured.
struct Run {
    accepted_per_second: f64,
    applied_p50_ms: f64,
    applied_p99_ms: f64,
}

/// A cluster of the bench's own, durable as a real server is: each commit flushed before the 200.
fn durable_cluster() -> PrivateCluster {
    let mut cluster = PrivateCluster::init();
    cluster.start(&["fsync=on", "synchronous_commit=on", "full_page_writes=on"]);
    cluster
}

/// Posts `total` webhooks to `listeners` listeners (round robin) on the database at `url`, and
/// waits until every one is applied.
async fn run(url: &str, total: usize, listeners: usize) -> Run {
    let mut urls = Vec::new();
    let mut processors = Vec::new();
    let mut stores = Vec::new();
    for node in 0..listeners {
        let store = Arc::new(Store::open_postgres(url).unwrap());
        let pid = u32::try_from(node).unwrap() + 1;
        store.register_node(&NewNode { host: "bench", pid, max_calls: 1_000, now: now() }).unwrap();
        if node == 0 {
            dialling_calls(&store, total);
        }
        let state =
            Arc::new(ListenerState::new(Arc::clone(&store), EventBus::new(16), post::secrets(), post::unlimited()));
        let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), Arc::clone(&state)).await.unwrap();
        urls.push(format!("http://{bound}/twilio/status"));
        processors.push(spawn_inbox_processor(state));
        stores.push(store);
    }

    let requests = (0..total).map(|i| post::status_callback(i, IN_PROGRESS)).collect();
    let (accepted, _) = post::post_all(urls, requests, CLIENTS).await;

    let store = Arc::clone(&stores[0]);
    let deadline = Instant::now() + Duration::from_secs(300);
    while store.inbox_counts().unwrap().pending > 0 {
        assert!(Instant::now() < deadline, "the inbox was not applied in 5 minutes");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for processor in processors {
        processor.abort();
    }
    let mut latencies: Vec<i64> = (1..=i64::try_from(total).unwrap())
        .map(|id| {
            let row = store.webhook(id).unwrap().unwrap();
            assert_eq!(row.last_error, None, "{row:?}");
            row.processed_at.expect("applied").0 - row.received_at.0
        })
        .collect();
    latencies.sort_unstable();
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize] as f64;
    Run {
        accepted_per_second: total as f64 / accepted.as_secs_f64(),
        applied_p50_ms: percentile(0.50),
        applied_p99_ms: percentile(0.99),
    }
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (total, repeats) = if benchmarking { (5_000, 5) } else { (100, 1) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    for listeners in [1, 2] {
        let runs: Vec<Run> = (0..repeats)
            .map(|_| {
                let cluster = durable_cluster();
                runtime.block_on(run(&cluster.url("127.0.0.1"), total, listeners))
            })
            .collect();
        let figures = [
            ("webhooks accepted/s", runs.iter().map(|run| run.accepted_per_second).collect::<Vec<_>>(), false, ""),
            ("accept to applied p50", runs.iter().map(|run| run.applied_p50_ms).collect(), true, " ms"),
            ("accept to applied p99", runs.iter().map(|run| run.applied_p99_ms).collect(), true, " ms"),
        ];
        for (figure, values, higher_is_worse, unit) in figures {
            let (median, worst) = median_and_worst(values, higher_is_worse);
            // A bench binary's output is its result.
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "shared_inbox: {listeners} listener(s), {total} signed Twilio status callbacks from {CLIENTS} \
                     clients into Postgres (fsync on), {repeats} runs: {figure} median {median:.0}{unit}, worst {worst:.0}{unit}"
                );
            }
        }
    }
}
