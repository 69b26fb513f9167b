//! Webhook ingest into the inbox shared by the nodes of one Postgres (a cluster of the bench's
//! own, with fsync on): signed Twilio status callbacks posted over loopback HTTP by concurrent
//! clients to 1 or 2 listeners, each its own node with its own store and inbox processor; every
//! call is run by the first node, so with 2 listeners half the webhooks land on the node that
//! does not run their call. Reports webhooks accepted per second (committed, then 200) and the
//! time from accept to applied (p50, p99), the median and worst of repeated runs.
//! `cargo bench -p switchboard-telephony --bench shared_inbox` prints the figures; under
//! `cargo test` it runs once on a small input as a smoke test.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::{CallState, UnixMillis};
use switchboard_engine::EventBus;
use switchboard_providers::Secret;
use switchboard_providers::signature::{SignedBody, TWILIO_SIGNATURE_HEADER, TwilioWebhookKey};
use switchboard_store::testing::PrivateCluster;
use switchboard_store::{NewCall, NewNode, Store};
use switchboard_telephony::listener::{ListenerSettings, ListenerState, WebhookSecrets, serve, spawn_inbox_processor};

const PUBLIC: &str = "https://tunnel.example";
const TOKEN: &str = "bench-auth-token";
const CLIENTS: usize = 16;

fn call_sid(i: usize) -> String {
    format!("CA{i:032}")
}

/// A signed status callback saying call `i` is in progress: its body and signature.
fn status_callback(i: usize) -> (String, String) {
    let body = format!(
        "AccountSid=AC1&ApiVersion=2010-04-01&CallSid={}&CallStatus=in-progress&Direction=outbound-api\
         &From=%2B15550001111&To=%2B13125550143&SequenceNumber=2&CallbackSource=call-progress-events",
        call_sid(i)
    );
    let url = format!("{PUBLIC}/twilio/status");
    let signature = TwilioWebhookKey::new(Secret::new(TOKEN)).sign(&url, SignedBody::Form(body.as_bytes()));
    (body, signature)
}

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
        store.set_provider_call_id(call.id, &call_sid(i)).unwrap();
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
    let unlimited = NonZeroU32::new(u32::MAX).unwrap();
    let settings =
        ListenerSettings { rate_per_second: unlimited, rate_burst: unlimited, ..ListenerSettings::new(PUBLIC) };
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
        let secrets = WebhookSecrets { twilio_auth_token: Some(Secret::new(TOKEN)), ..WebhookSecrets::default() };
        let state = Arc::new(ListenerState::new(Arc::clone(&store), EventBus::new(16), secrets, settings.clone()));
        let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), Arc::clone(&state)).await.unwrap();
        urls.push(format!("http://{bound}/twilio/status"));
        processors.push(spawn_inbox_processor(state));
        stores.push(store);
    }

    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(CLIENTS).build().unwrap();
    let requests: Arc<Vec<(String, String)>> = Arc::new((0..total).map(status_callback).collect());
    let urls = Arc::new(urls);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client_index| {
            let (client, urls, requests) = (client.clone(), Arc::clone(&urls), Arc::clone(&requests));
            tokio::spawn(async move {
                for i in (client_index..requests.len()).step_by(CLIENTS) {
                    let (body, signature) = &requests[i];
                    let response = client
                        .post(&urls[i % urls.len()])
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header(TWILIO_SIGNATURE_HEADER, signature)
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), reqwest::StatusCode::OK);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let accepted = started.elapsed();

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

/// The median and the worst of `values` (worst: the highest when `higher_is_worse`).
fn median_and_worst(mut values: Vec<f64>, higher_is_worse: bool) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let worst = if higher_is_worse { values[values.len() - 1] } else { values[0] };
    (values[values.len() / 2], worst)
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
