//! Settings' "Test connection" in the real window, against a loopback Vapi the app is pointed at
//! with `SWITCHBOARD_VAPI_BASE_URL` (the key comes from `VAPI_API_KEY`): connected while the
//! fake accepts the key, refused once it answers 401, the key never on the page; and the
//! listener's `/health` reporting the same check, kept for a minute rather than asked again.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};

const KEY: &str = "vapi-e2e-0c7d52a1";

/// A loopback Vapi answering `GET /assistant` as Vapi does: 200 with a list while it accepts the
/// key, 401 once told to refuse it.
struct FakeVapi {
    base_url: String,
    refuse: Arc<AtomicBool>,
    hits: Arc<AtomicUsize>,
}

impl FakeVapi {
    async fn start() -> Self {
        let (refuse, hits) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        let (refusing, counted) = (Arc::clone(&refuse), Arc::clone(&hits));
        let assistants = move |headers: HeaderMap| async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let bearer = headers.get("authorization").and_then(|value| value.to_str().ok());
            if refusing.load(Ordering::SeqCst) || bearer != Some(&format!("Bearer {KEY}")) {
                let body = r#"{"message":"Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.","error":"Unauthorized","statusCode":401}"#;
                return (StatusCode::UNAUTHORIZED, body);
            }
            (StatusCode::OK, "[]")
        };
        let app = Router::new().route("/assistant", get(assistants));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, refuse, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn test_connection_shows_connected_then_the_refusal() {
    within(TEST_LIMIT, async {
        let vapi = FakeVapi::start().await;
        let data = tempfile::tempdir().unwrap();
        // The other providers point at a closed loopback port, in case their keys are set here:
        // /health checks every provider with a key, and nothing may leave 127.0.0.1.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let closed = format!("http://{closed}");
        let others = ["TWILIO", "ELEVENLABS", "DEEPGRAM", "ANTHROPIC", "ULTRAVOX"]
            .map(|provider| format!("SWITCHBOARD_{provider}_BASE_URL"));
        let mut env = vec![("VAPI_API_KEY", Path::new(KEY)), ("SWITCHBOARD_VAPI_BASE_URL", Path::new(&vapi.base_url))];
        env.extend(others.iter().map(|name| (name.as_str(), Path::new(&closed))));
        let app = App::start_with_env(data.path(), 1, &env).await;
        app.click("nav-settings").await;
        let row = "[data-testid=provider-row][data-provider=Vapi]";
        let result = format!("{row} [data-testid=connection-result]");

        app.wait_for(&format!("{row} [data-testid=test-connection]")).await.click().await.unwrap();
        eventually("Vapi connected", PATIENCE, || async {
            let shown = app.texts(&result).await;
            (shown.first().map(String::as_str) == Some("Connected")).then_some(())
        })
        .await;
        assert_eq!(app.attrs(&result, "data-outcome").await, ["connected"]);
        assert_eq!(vapi.hits(), 1);
        app.screenshot("test-connection").await;

        // /health runs the same check, once.
        let listener = app.text("[data-testid=listener-local] code").await;
        let health = get_json(&listener, "/health").await;
        let reported = |health: &serde_json::Value| {
            let providers = health["providers"].as_array().unwrap();
            providers.iter().find(|entry| entry["provider"] == "vapi").unwrap()["reachability"].clone()
        };
        assert_eq!(reported(&health), serde_json::json!({"state": "reachable"}));
        assert_eq!(vapi.hits(), 2);

        vapi.refuse.store(true, Ordering::SeqCst);
        app.wait_for(&format!("{row} [data-testid=test-connection]")).await.click().await.unwrap();
        let refusal = eventually("the key refused", PATIENCE, || async {
            let shown = app.texts(&result).await;
            shown.first().filter(|text| text.starts_with("Key refused: ")).cloned()
        })
        .await;
        assert!(refusal.contains("Vapi answered HTTP 401: ") && refusal.contains("Invalid Key"), "{refusal}");
        assert_eq!(app.attrs(&result, "data-outcome").await, ["key-refused"]);
        assert_eq!(vapi.hits(), 3);
        let page = app.client.source().await.unwrap();
        assert!(!page.contains(KEY), "the page never holds the key");

        // Within the minute, /health reports the last check without asking Vapi again.
        assert_eq!(reported(&get_json(&listener, "/health").await), serde_json::json!({"state": "reachable"}));
        assert_eq!(vapi.hits(), 3);
        app.quit().await;
    })
    .await;
}

/// `GET {base}{path}` over plain HTTP/1.1, the JSON body parsed.
async fn get_json(base: &str, path: &str) -> serde_json::Value {
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let (_head, body) = response.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}
