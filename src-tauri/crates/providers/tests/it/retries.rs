//! Fault injection: 429 with Retry-After, 5xx, timeouts and refused connections are retried with
//! backoff; other 4xx never are; requests that place a call are never resent once they may have
//! been processed.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_providers::twilio::{CallInstructions, CreateCall, TwilioClient, TwilioConfig};
use switchboard_providers::vapi::{VapiClient, VapiConfig};
use switchboard_providers::{Provider, ProviderError, Secret};

use crate::support::fast_settings;
use switchboard_fakes::scripted::{Loopback, Reply};

fn vapi(base_url: &str) -> VapiClient {
    VapiClient::new(VapiConfig { base_url: base_url.into(), api_key: Secret::new("k") }, &fast_settings()).unwrap()
}

fn twilio(base_url: &str) -> TwilioClient {
    let config = TwilioConfig {
        base_url: base_url.into(),
        account_sid: "AC1".into(),
        auth_token: Secret::new("t"),
        api_key_sid: None,
    };
    TwilioClient::new(config, &fast_settings()).unwrap()
}

fn call() -> CreateCall {
    CreateCall::new("+15551234567", "+15550001111", CallInstructions::Url("https://h/voice".into()))
}

fn ok_call() -> Reply {
    Reply::json(200, json!({"id": "call_1", "status": "ended"}))
}

fn ok_twilio_call() -> Reply {
    Reply::json(201, json!({"sid": "CA1", "status": "queued"}))
}

fn gap(server: &Loopback, index: usize) -> Duration {
    let requests = server.requests();
    requests[index + 1].at - requests[index].at
}

#[tokio::test]
async fn a_429_waits_the_retry_after_seconds_then_succeeds() {
    let server = Loopback::start(vec![
        Reply::json(429, json!({"message": "Too many requests"})).header("retry-after", "1"),
        ok_call(),
    ])
    .await;
    vapi(&server.base_url).get_call("call_1").await.unwrap();
    assert_eq!(server.requests().len(), 2);
    assert!(gap(&server, 0) >= Duration::from_secs(1), "waited only {:?}", gap(&server, 0));
}

#[tokio::test]
async fn a_429_with_an_http_date_waits_until_then() {
    let at = std::time::SystemTime::now() + Duration::from_secs(3);
    let server =
        Loopback::start(vec![Reply::empty(429).header("retry-after", httpdate::fmt_http_date(at)), ok_call()]).await;
    vapi(&server.base_url).get_call("call_1").await.unwrap();
    // The date has one-second resolution: at least two of the three seconds remain.
    assert!(gap(&server, 0) >= Duration::from_millis(1500), "waited only {:?}", gap(&server, 0));
}

#[tokio::test]
async fn a_429_is_retried_even_for_a_call_placement() {
    let server = Loopback::start(vec![Reply::empty(429).header("retry-after", "0"), ok_twilio_call()]).await;
    twilio(&server.base_url).create_call(&call()).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_we_wait_surfaces_the_429() {
    let server =
        Loopback::start(vec![Reply::json(429, json!({"message": "slow down"})).header("retry-after", "3600")]).await;
    let started = Instant::now();
    let error = vapi(&server.base_url).get_call("call_1").await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_500_then_success_is_retried_after_a_backoff() {
    let server = Loopback::start(vec![Reply::json(500, json!({"error": "boom"})), ok_call()]).await;
    vapi(&server.base_url).get_call("call_1").await.unwrap();
    assert_eq!(server.requests().len(), 2);
    assert!(gap(&server, 0) >= Duration::from_millis(10), "no backoff: {:?}", gap(&server, 0));
}

#[tokio::test]
async fn persistent_5xx_stops_after_max_attempts_with_the_last_answer() {
    let server = Loopback::start(vec![
        Reply::json(502, json!({"error": "bad gateway"})),
        Reply::json(503, json!({"error": "unavailable"})),
        Reply::json(503, json!({"error": "still unavailable"})),
    ])
    .await;
    let error = vapi(&server.base_url).get_call("call_1").await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::Status {
            provider: Provider::Vapi,
            status: 503,
            excerpt: r#"{"error":"still unavailable"}"#.into()
        }
    );
    assert_eq!(server.requests().len(), 3);
    // Exponential: the second wait is at least the doubled first delay.
    assert!(gap(&server, 1) >= Duration::from_millis(20), "{:?}", gap(&server, 1));
}

#[tokio::test]
async fn a_4xx_other_than_429_is_never_retried() {
    for status in [400, 401, 403, 404, 409, 422] {
        let server = Loopback::start(vec![Reply::json(status, json!({"message": "no"})), ok_call()]).await;
        let error = vapi(&server.base_url).get_call("call_1").await.unwrap_err();
        assert_eq!(error.status(), Some(status));
        assert_eq!(server.requests().len(), 1, "HTTP {status} was retried");
    }
}

#[tokio::test]
async fn a_500_on_a_call_placement_is_not_resent() {
    let server = Loopback::start(vec![Reply::json(500, json!({"message": "boom"})), ok_twilio_call()]).await;
    let error = twilio(&server.base_url).create_call(&call()).await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(server.requests().len(), 1, "resending could ring the callee twice");
}

#[tokio::test]
async fn timeouts_are_retried_then_surfaced_naming_the_provider() {
    let slow = || ok_call().after(Duration::from_secs(2));
    let server = Loopback::start(vec![slow(), slow(), slow()]).await;
    let error = vapi(&server.base_url).get_call("call_1").await.unwrap_err();
    assert_eq!(error, ProviderError::Timeout { provider: Provider::Vapi });
    assert_eq!(error.to_string(), "Vapi did not answer in time");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_timeout_then_success_recovers() {
    let server = Loopback::start(vec![ok_call().after(Duration::from_secs(2)), ok_call()]).await;
    vapi(&server.base_url).get_call("call_1").await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_timeout_on_a_call_placement_is_not_resent() {
    let server = Loopback::start(vec![ok_twilio_call().after(Duration::from_secs(2)), ok_twilio_call()]).await;
    let error = twilio(&server.base_url).create_call(&call()).await.unwrap_err();
    assert_eq!(error, ProviderError::Timeout { provider: Provider::Twilio });
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let started = Instant::now();
    let error = twilio(&format!("http://{address}")).create_call(&call()).await.unwrap_err();
    let ProviderError::Unreachable { provider: Provider::Twilio, reason } = &error else { panic!("{error:?}") };
    assert!(error.to_string().starts_with("could not reach Twilio: "), "{error}");
    assert!(!reason.is_empty() && !reason.contains("/2010-04-01"), "no URL in the reason: {reason}");
    // Two backoff waits (10 ms, then 20 ms or more) mean it was tried three times.
    assert!(started.elapsed() >= Duration::from_millis(30), "{:?}", started.elapsed());
}
