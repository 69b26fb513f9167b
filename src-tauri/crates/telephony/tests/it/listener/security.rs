//! Who gets in: signed requests only, per provider; refusals write nothing. Limits on size and
//! rate, security headers and request ids on every answer, and the health report.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use switchboard_engine::BoxFuture;
use switchboard_providers::Provider;
use switchboard_providers::signature::TWILIO_SIGNATURE_HEADER;
use switchboard_telephony::listener::{ListenerSettings, ProviderProbe, Reachability, WebhookSecrets, serve};

use super::{
    CALL_SID, Fixture, PUBLIC, elevenlabs_request, twilio_request, twilio_status, ultravox_request, ultravox_tool_key,
    ultravox_tool_request, unix_now, vapi_request, vapi_secret,
};

#[tokio::test]
async fn unsigned_mutated_misdirected_and_stale_webhooks_are_refused_and_nothing_is_written() {
    let fixture = Fixture::new();
    let body = twilio_status(CALL_SID, "ringing", 1);

    let mut unsigned = twilio_request("/twilio/status", &body);
    unsigned.headers_mut().remove(TWILIO_SIGNATURE_HEADER);
    let mut mutated = twilio_request("/twilio/status", &body);
    *mutated.body_mut() = Body::from(twilio_status(CALL_SID, "completed", 1));
    // Signed for the status URL, replayed to the AMD URL.
    let mut misdirected = twilio_request("/twilio/status", &body);
    *misdirected.uri_mut() = "/twilio/amd".parse().unwrap();
    let mut garbled = twilio_request("/twilio/status", &body);
    garbled.headers_mut().insert(TWILIO_SIGNATURE_HEADER, "not base64!".parse().unwrap());
    let eleven =
        br#"{"type":"post_call_transcription","event_timestamp":1,"data":{"conversation_id":"c1","status":"done"}}"#;
    let stale = elevenlabs_request(eleven, unix_now() - 31 * 60);
    let mut eleven_unsigned = elevenlabs_request(eleven, unix_now());
    eleven_unsigned.headers_mut().remove("elevenlabs-signature");
    let vapi = br#"{"message":{"type":"status-update","status":"ringing","call":{"id":"v1"}}}"#;
    let mut ultravox_moved = ultravox_request(br#"{"event":"call.ended","call":{"callId":"u1"}}"#);
    *ultravox_moved.body_mut() = Body::from(r#"{"event":"call.ended","call":{"callId":"u2"}}"#);

    for (what, request) in [
        ("unsigned", unsigned),
        ("mutated", mutated),
        ("misdirected", misdirected),
        ("garbled", garbled),
        ("stale ElevenLabs", stale),
        ("unsigned ElevenLabs", eleven_unsigned),
        ("wrong Vapi secret", vapi_request(vapi, "guess")),
        ("mutated Ultravox", ultravox_moved),
    ] {
        let response = fixture.send(request).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        assert!(response.headers().contains_key("x-request-id"), "{what}: the refusal carries its request id");
    }
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0, "no refused webhook is written");
}

#[tokio::test]
async fn a_provider_without_a_secret_answers_503_and_never_accepts_unsigned() {
    let fixture = Fixture::with(WebhookSecrets::default(), ListenerSettings::new(PUBLIC));
    let vapi = br#"{"message":{"type":"status-update","status":"ringing","call":{"id":"v1"}}}"#;
    for request in [
        twilio_request("/twilio/status", &twilio_status(CALL_SID, "ringing", 1)),
        twilio_request("/twilio/voice", b"CallSid=CA1"),
        elevenlabs_request(b"{}", unix_now()),
        vapi_request(vapi, vapi_secret()),
        ultravox_request(b"{}"),
    ] {
        let path = request.uri().path().to_owned();
        let response = fixture.send(request).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let text = to_bytes(response.into_body(), 1024).await.unwrap();
        assert!(String::from_utf8_lossy(&text).ends_with("webhooks are not configured"), "{path}");
    }
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0);
}

#[tokio::test]
async fn the_ultravox_tool_answers_only_requests_carrying_its_key() {
    let fixture = Fixture::new();
    let value = br#"{"key":"unit_price","value":"4.50"}"#;
    let other_key =
        switchboard_providers::signature::UltravoxWebhookKey::new(switchboard_providers::Secret::new("guess"));
    for (what, key) in [
        ("no key", None),
        ("another secret's key", Some(other_key.tool_key().expose().to_owned())),
        ("not hex", Some("letmein".to_owned())),
    ] {
        let response = fixture.send(ultravox_tool_request(value, key.as_deref())).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        let text = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&text[..], b"forbidden", "{what}: the model is told nothing more");
    }
    let response = fixture.send(ultravox_tool_request(value, Some(&ultravox_tool_key()))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(&to_bytes(response.into_body(), 1024).await.unwrap()[..], b"Recorded.");
    let response = fixture.send(ultravox_tool_request(br#"{"value":"4.50"}"#, Some(&ultravox_tool_key()))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0, "the tool writes nothing");

    let unconfigured = Fixture::with(WebhookSecrets::default(), ListenerSettings::new(PUBLIC));
    let response = unconfigured.send(ultravox_tool_request(value, Some(&ultravox_tool_key()))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "no Ultravox secret, no tool");
}

#[tokio::test]
async fn the_voice_url_answers_twiml() {
    let fixture = Fixture::new();
    let response =
        fixture.send(twilio_request("/twilio/voice", b"CallSid=CA1&AccountSid=AC1&CallStatus=in-progress")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/xml; charset=utf-8");
    let twiml = to_bytes(response.into_body(), 1024).await.unwrap();
    let twiml = String::from_utf8(twiml.to_vec()).unwrap();
    assert!(twiml.starts_with("<?xml") && twiml.ends_with("<Response></Response>"), "{twiml}");
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0, "the voice URL is answered, not stored");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let settings = ListenerSettings { body_limit_bytes: 1024, ..ListenerSettings::new(PUBLIC) };
    let fixture = Fixture::with(super::secrets(), settings);
    let big = vec![b'a'; 1025];
    let mut declared = twilio_request("/twilio/status", &big);
    declared.headers_mut().insert(header::CONTENT_LENGTH, big.len().into());
    assert_eq!(fixture.send(declared).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Without a length up front, the body is cut off while it is read.
    let streamed = twilio_request("/twilio/status", &big);
    assert!(!streamed.headers().contains_key(header::CONTENT_LENGTH));
    assert_eq!(fixture.send(streamed).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let fits = twilio_request("/twilio/status", &twilio_status(CALL_SID, "ringing", 1));
    assert_eq!(fixture.send(fits).await.status(), StatusCode::OK);
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 1);
}

#[tokio::test]
async fn an_address_past_its_burst_gets_429_with_retry_after() {
    let one = NonZeroU32::new(1).unwrap();
    let settings = ListenerSettings {
        rate_per_second: one,
        rate_burst: NonZeroU32::new(2).unwrap(),
        ..ListenerSettings::new(PUBLIC)
    };
    let fixture = Fixture::with(super::secrets(), settings);
    let health = || Request::get("/health").body(Body::empty()).unwrap();
    assert_eq!(fixture.send(health()).await.status(), StatusCode::OK);
    assert_eq!(fixture.send(health()).await.status(), StatusCode::OK);
    let limited = fixture.send(health()).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[header::RETRY_AFTER], "1");
    assert!(limited.headers().contains_key("x-request-id"));
    // Another address behind the tunnel has its own bucket.
    let other = Request::get("/health").header("x-forwarded-for", "203.0.113.9").body(Body::empty()).unwrap();
    assert_eq!(fixture.send(other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_answer_has_security_headers_and_a_request_id() {
    let fixture = Fixture::new();
    let response = fixture.send(Request::get("/health").body(Body::empty()).unwrap()).await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let generated = headers["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let given = Request::get("/nowhere").header("x-request-id", "req-from-tunnel").body(Body::empty()).unwrap();
    let response = fixture.send(given).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-request-id"], "req-from-tunnel");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

pub(super) async fn health(fixture: &Fixture) -> serde_json::Value {
    let response = fixture.send(Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn health_through_the_tunnel_says_only_that_the_listener_is_up() {
    let fixture = Fixture::new();
    fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "ringing", 1))).await;
    let forwarded = |name: &str| Request::get("/health").header(name, "203.0.113.7").body(Body::empty()).unwrap();
    let mut from_elsewhere = Request::get("/health").body(Body::empty()).unwrap();
    from_elsewhere.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 168, 1, 9], 5000))));
    for (what, request) in [
        ("X-Forwarded-For", forwarded("x-forwarded-for")),
        ("X-Forwarded-Host", forwarded("x-forwarded-host")),
        ("Forwarded", forwarded("forwarded")),
        ("a peer that is not loopback", from_elsewhere),
    ] {
        let response = fixture.send(request).await;
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            json!({"status": "listening"}),
            "{what}"
        );
    }
    let direct = health(&fixture).await;
    assert_eq!(direct["publicBaseUrl"], PUBLIC, "a direct loopback caller gets the details");
    assert_eq!(direct["inbox"]["total"], 1);
}

/// Over a real socket: the peer address reaches `/health`, and the tunnel's headers hide the details.
#[tokio::test]
async fn health_over_a_socket_tells_the_tunnel_less_than_a_local_caller() {
    let fixture = Fixture::new();
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), fixture.state.clone()).await.unwrap();
    let client = super::http_client();
    let url = format!("http://{bound}/health");
    let direct: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(direct["publicBaseUrl"], PUBLIC);
    let tunnelled = client.get(&url).header("x-forwarded-for", "203.0.113.7").header("x-forwarded-proto", "https");
    let tunnelled: serde_json::Value = tunnelled.send().await.unwrap().json().await.unwrap();
    assert_eq!(tunnelled, json!({"status": "listening"}));
}

struct AllReachable;

impl ProviderProbe for AllReachable {
    fn reachability(&self, provider: Provider) -> BoxFuture<'_, Reachability> {
        Box::pin(async move {
            match provider {
                Provider::Vapi => Reachability::Unreachable { reason: "timed out".into() },
                _ => Reachability::Reachable,
            }
        })
    }
}

#[tokio::test]
async fn health_reports_the_listener_the_inbox_and_each_provider() {
    let secrets = WebhookSecrets { elevenlabs: None, ..super::secrets() };
    let fixture = Fixture::with(secrets, ListenerSettings::new(PUBLIC));
    fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "ringing", 1))).await;
    let report = health(&fixture).await;
    assert_eq!(report["status"], "listening");
    assert_eq!(report["publicBaseUrl"], PUBLIC);
    assert_eq!(report["inbox"], serde_json::json!({"total": 1, "pending": 1, "failed": 0}));
    let providers = report["providers"].as_array().unwrap();
    let names: Vec<_> = providers.iter().map(|provider| provider["provider"].as_str().unwrap()).collect();
    assert_eq!(names, ["twilio", "elevenlabs", "ultravox", "vapi", "deepgram", "anthropic"]);
    assert_eq!(
        providers[0],
        serde_json::json!({"provider": "twilio", "webhooks": "verified", "reachability": {"state": "not-configured"}})
    );
    assert_eq!(providers[1]["webhooks"], "not-configured");
    assert_eq!(providers[4]["webhooks"], "none", "Deepgram sends no webhooks");

    let probed = Fixture::with(super::secrets(), ListenerSettings::new(PUBLIC));
    let state = Arc::try_unwrap(probed.state).ok().unwrap().with_probe(Arc::new(AllReachable));
    let probed = Fixture { state: Arc::new(state), ..probed };
    let report = health(&probed).await;
    assert_eq!(report["providers"][0]["reachability"], serde_json::json!({"state": "reachable"}));
    assert_eq!(
        report["providers"][3]["reachability"],
        serde_json::json!({"state": "unreachable", "reason": "timed out"})
    );
}

#[test]
fn secrets_never_print() {
    let printed = format!("{:?}", super::secrets());
    for secret in [super::TWILIO_TOKEN, super::ELEVENLABS_SECRET, super::ULTRAVOX_SECRET, super::VAPI_SECRET] {
        assert!(!printed.contains(secret), "{printed}");
    }
}
