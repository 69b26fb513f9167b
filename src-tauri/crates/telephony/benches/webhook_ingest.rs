//! Webhook ingest: signed Twilio status callbacks posted over real loopback HTTP by concurrent
//! clients into the listener over a SQLite file; each 200 means the row is committed. Reports
//! durable webhooks per second and the time to 200 (p50, p99).
//! `cargo bench -p switchboard-telephony --bench webhook_ingest` prints the figures; under
//! `cargo test` it posts 200 webhooks as a smoke test.

use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::EventBus;
use switchboard_store::Store;
use switchboard_telephony::listener::{ListenerState, serve};

#[path = "webhooks/post.rs"]
mod post;

/// Twilio's last status callback of a call: it completed.
const COMPLETED: &str = "CallStatus=completed&CallDuration=42&SequenceNumber=3\
                         &Timestamp=Tue%2C+18+Feb+2025+10%3A00%3A00+%2B0000";

/// Posts `total` webhooks from `clients` concurrent clients; returns the wall time and each
/// request's time to 200.
async fn ingest(total: usize, clients: usize) -> (Duration, Vec<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("bench.sqlite3")).unwrap());
    let state = Arc::new(ListenerState::new(Arc::clone(&store), EventBus::new(16), post::secrets(), post::unlimited()));
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let requests = (0..total).map(|i| post::status_callback(i, COMPLETED)).collect();
    let (elapsed, times) = post::post_all(vec![format!("http://{bound}/twilio/status")], requests, clients).await;
    assert_eq!(store.inbox_counts().unwrap().total as usize, total, "every acknowledged webhook is stored");
    (elapsed, times)
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let runs: &[(usize, usize)] = if benchmarking { &[(5_000, 1), (20_000, 8), (20_000, 32)] } else { &[(200, 4)] };
    for &(total, clients) in runs {
        let (elapsed, mut times) = runtime.block_on(ingest(total, clients));
        times.sort();
        let percentile = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
        if benchmarking {
            // A bench binary's output is its result.
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "webhook_ingest: {total} signed Twilio status callbacks, {clients} concurrent clients, loopback HTTP into a SQLite file: {:.0} durable webhooks/s; time to 200 p50 {:.2} ms, p99 {:.2} ms",
                    total as f64 / elapsed.as_secs_f64(),
                    percentile(0.50),
                    percentile(0.99),
                );
            }
        }
    }
}
