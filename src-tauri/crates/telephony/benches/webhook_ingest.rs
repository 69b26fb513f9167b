//! Webhook ingest: signed Twilio status callbacks posted over real loopback HTTP by concurrent
//! clients into the listener over a SQLite file; each 200 means the row is committed. Reports
//! durable webhooks per second and the time to 200 (p50, p99).
//! `cargo bench -p switchboard-telephony --bench webhook_ingest` prints the figures; under
//! `cargo test` it posts 200 webhooks as a smoke test.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_engine::EventBus;
use switchboard_providers::Secret;
use switchboard_providers::signature::{SignedBody, TWILIO_SIGNATURE_HEADER, TwilioWebhookKey};
use switchboard_store::Store;
use switchboard_telephony::listener::{ListenerSettings, ListenerState, WebhookSecrets, serve};

const PUBLIC: &str = "https://tunnel.example";
const TOKEN: &str = "bench-auth-token";

/// A signed status callback: its body and signature.
fn status_callback(i: usize) -> (String, String) {
    let body = format!(
        "AccountSid=AC1&ApiVersion=2010-04-01&CallSid=CA{i:032}&CallStatus=completed&CallDuration=42\
         &Direction=outbound-api&From=%2B15550001111&To=%2B13125550143&SequenceNumber=3\
         &CallbackSource=call-progress-events&Timestamp=Tue%2C+18+Feb+2025+10%3A00%3A00+%2B0000"
    );
    let url = format!("{PUBLIC}/twilio/status");
    let signature = TwilioWebhookKey::new(Secret::new(TOKEN)).sign(&url, SignedBody::Form(body.as_bytes()));
    (body, signature)
}

/// Posts `total` webhooks from `clients` concurrent clients; returns the wall time and each
/// request's time to 200.
async fn ingest(total: usize, clients: usize) -> (Duration, Vec<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("bench.sqlite3")).unwrap());
    let unlimited = NonZeroU32::new(u32::MAX).unwrap();
    let settings =
        ListenerSettings { rate_per_second: unlimited, rate_burst: unlimited, ..ListenerSettings::new(PUBLIC) };
    let secrets = WebhookSecrets { twilio_auth_token: Some(Secret::new(TOKEN)), ..WebhookSecrets::default() };
    let state = Arc::new(ListenerState::new(Arc::clone(&store), EventBus::new(16), secrets, settings));
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let url = format!("http://{bound}/twilio/status");

    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(clients).build().unwrap();
    let requests: Vec<(String, String)> = (0..total).map(status_callback).collect();
    let requests = Arc::new(requests);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client_index| {
            let (client, url, requests) = (client.clone(), url.clone(), Arc::clone(&requests));
            tokio::spawn(async move {
                let mut times = Vec::new();
                for (body, signature) in requests.iter().skip(client_index).step_by(clients) {
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header(TWILIO_SIGNATURE_HEADER, signature)
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), reqwest::StatusCode::OK);
                    times.push(sent.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(total);
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
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
