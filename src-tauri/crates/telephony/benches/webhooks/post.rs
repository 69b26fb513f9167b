//! What the two webhook benches share: Twilio status callbacks signed as Twilio signs them, a
//! listener with no rate limit, and concurrent clients posting them over loopback HTTP.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_providers::Secret;
use switchboard_providers::signature::{SignedBody, TWILIO_SIGNATURE_HEADER, TwilioWebhookKey};
use switchboard_telephony::listener::{ListenerSettings, WebhookSecrets};

/// The public URL the listener believes it is reached at (the signatures cover it).
pub const PUBLIC: &str = "https://tunnel.example";
/// The Twilio auth token the callbacks are signed with.
const TOKEN: &str = "bench-auth-token";

/// Call `i`'s Call SID.
pub fn call_sid(i: usize) -> String {
    format!("CA{i:032}")
}

/// A status callback for call `i` with the fields `status` (`CallStatus=…&…`): its body and
/// Twilio's signature of it.
pub fn status_callback(i: usize, status: &str) -> (String, String) {
    let body = format!(
        "AccountSid=AC1&ApiVersion=2010-04-01&CallSid={}&{status}&Direction=outbound-api\
         &From=%2B15550001111&To=%2B13125550143&CallbackSource=call-progress-events",
        call_sid(i)
    );
    let url = format!("{PUBLIC}/twilio/status");
    let signature = TwilioWebhookKey::new(Secret::new(TOKEN)).sign(&url, SignedBody::Form(body.as_bytes()));
    (body, signature)
}

/// A listener's settings with no rate limit, so the bench measures the listener itself.
pub fn unlimited() -> ListenerSettings {
    let unlimited = NonZeroU32::new(u32::MAX).unwrap();
    ListenerSettings { rate_per_second: unlimited, rate_burst: unlimited, ..ListenerSettings::new(PUBLIC) }
}

/// The secrets that check the callbacks' signatures.
pub fn secrets() -> WebhookSecrets {
    WebhookSecrets { twilio_auth_token: Some(Secret::new(TOKEN)), ..WebhookSecrets::default() }
}

/// Posts every request from `clients` concurrent clients, request `i` to `urls[i % urls.len()]`,
/// each expecting 200. Returns the wall time and each request's time to 200.
pub async fn post_all(urls: Vec<String>, requests: Vec<(String, String)>, clients: usize) -> (Duration, Vec<Duration>) {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(clients).build().unwrap();
    let (urls, requests) = (Arc::new(urls), Arc::new(requests));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client_index| {
            let (client, urls, requests) = (client.clone(), Arc::clone(&urls), Arc::clone(&requests));
            tokio::spawn(async move {
                let mut times = Vec::new();
                for i in (client_index..requests.len()).step_by(clients) {
                    let (body, signature) = &requests[i];
                    let sent = Instant::now();
                    let response = client
                        .post(&urls[i % urls.len()])
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
    let mut times = Vec::with_capacity(requests.len());
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    (started.elapsed(), times)
}
