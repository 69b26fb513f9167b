//! `/health` with the console's probe: each configured provider's connection check over a
//! loopback server — reachable, key refused, unreachable — and not configured without a key;
//! every outcome kept for the probe's TTL, so asking `/health` again (or many times at once) does
//! not reach the provider again; and no key in the report.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use switchboard_fakes::scripted::{Loopback, Reply};
use switchboard_providers::{ConnectionTarget, Credentials, HttpSettings, Provider, Secret};
use switchboard_telephony::listener::{ConnectionProbe, ListenerSettings};

use super::security::health;
use super::{Fixture, PUBLIC, secrets};

const VAPI_KEY: &str = "vapi-key-3c9e71";
const ELEVENLABS_KEY: &str = "xi-key-8d2f04";

fn target(provider: Provider, base_url: &str, key: &str) -> ConnectionTarget {
    let settings = HttpSettings { request_timeout: Duration::from_secs(2), ..HttpSettings::default() };
    ConnectionTarget::new(provider, base_url, Credentials::ApiKey(Secret::new(key)), &settings).unwrap()
}

fn fixture_with(probe: ConnectionProbe) -> Fixture {
    let fixture = Fixture::with(secrets(), ListenerSettings::new(PUBLIC));
    let state = Arc::try_unwrap(fixture.state).ok().unwrap().with_probe(Arc::new(probe));
    Fixture { state: Arc::new(state), ..fixture }
}

fn reachability(report: &serde_json::Value, provider: &str) -> serde_json::Value {
    let providers = report["providers"].as_array().unwrap();
    providers.iter().find(|entry| entry["provider"] == provider).unwrap()["reachability"].clone()
}

#[tokio::test]
async fn health_checks_each_configured_provider_once_per_ttl() {
    let vapi = Loopback::always(Reply::json(200, json!([]))).await;
    let refusal =
        json!({"detail": {"status": "invalid_api_key", "message": format!("Invalid API key {ELEVENLABS_KEY}")}});
    let elevenlabs = Loopback::always(Reply::json(401, refusal)).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let probe = ConnectionProbe::new([
        target(Provider::Vapi, &vapi.base_url, VAPI_KEY),
        target(Provider::ElevenLabs, &elevenlabs.base_url, ELEVENLABS_KEY),
        target(Provider::Deepgram, &closed, "dg-key"),
    ]);
    let fixture = fixture_with(probe);

    let report = health(&fixture).await;
    assert_eq!(reachability(&report, "vapi"), json!({"state": "reachable"}));
    assert_eq!(
        reachability(&report, "elevenlabs"),
        json!({"state": "key-refused",
               "reason": r#"ElevenLabs answered HTTP 401: {"detail":{"message":"Invalid API key ••••","status":"invalid_api_key"}}"#})
    );
    let deepgram = reachability(&report, "deepgram");
    assert_eq!(deepgram["state"], "unreachable");
    assert!(deepgram["reason"].as_str().unwrap().starts_with("could not reach Deepgram: "), "{deepgram}");
    for provider in ["twilio", "ultravox", "anthropic"] {
        assert_eq!(reachability(&report, provider), json!({"state": "not-configured"}), "{provider}");
    }
    let text = report.to_string();
    assert!(!text.contains(VAPI_KEY) && !text.contains(ELEVENLABS_KEY), "{text}");
    assert_eq!((vapi.requests().len(), elevenlabs.requests().len()), (1, 1));

    // Within the TTL, however often and however many at once, the providers are not asked again.
    let again = futures_util::future::join_all((0..8).map(|_| health(&fixture))).await;
    assert!(again.iter().all(|later| later["providers"] == report["providers"]));
    assert_eq!((vapi.requests().len(), elevenlabs.requests().len()), (1, 1));
}

#[tokio::test]
async fn concurrent_asks_share_one_check_and_an_expired_outcome_is_checked_again() {
    let vapi = Loopback::always(Reply::json(200, json!([]))).await;
    let ttl = Duration::from_millis(300);
    let fixture = fixture_with(ConnectionProbe::new([target(Provider::Vapi, &vapi.base_url, VAPI_KEY)]).with_ttl(ttl));
    let first = futures_util::future::join_all((0..8).map(|_| health(&fixture))).await;
    assert!(first.iter().all(|report| reachability(report, "vapi") == json!({"state": "reachable"})));
    assert_eq!(vapi.requests().len(), 1, "eight concurrent asks, one check");
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(reachability(&health(&fixture).await, "vapi"), json!({"state": "reachable"}));
    assert_eq!(vapi.requests().len(), 2, "checked again once the outcome expired");
}

#[tokio::test]
async fn a_twilio_basic_header_echoed_in_an_error_body_is_masked_in_health() {
    use base64::Engine as _;
    let (account_sid, auth_token) = ("AC5ef8732a3c49700934481addd5ce1659", "twilio-token-77e1b2");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{auth_token}"));
    // A proxy in front of Twilio refusing the request and echoing what it was sent.
    let echo = json!({"message": "proxy authentication required", "received": format!("Authorization: Basic {basic}")});
    let twilio = Loopback::always(Reply::json(407, echo)).await;
    let credentials = Credentials::Twilio { account_sid: account_sid.into(), auth_token: Secret::new(auth_token) };
    let settings = HttpSettings { request_timeout: Duration::from_secs(2), ..HttpSettings::default() };
    let probe =
        ConnectionProbe::new([
            ConnectionTarget::new(Provider::Twilio, &twilio.base_url, credentials, &settings).unwrap()
        ]);
    let report = health(&fixture_with(probe)).await;
    let reason = reachability(&report, "twilio")["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("Authorization: Basic ••••"), "{reason}");
    let text = report.to_string();
    assert!(!text.contains(&basic) && !text.contains(&basic[..16]) && !text.contains(auth_token), "{text}");
}
