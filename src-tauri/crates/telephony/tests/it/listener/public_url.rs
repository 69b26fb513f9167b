//! Reading a tunnel's public URL from a loopback fake of ngrok's local API.

use axum::Router;
use axum::routing::get;
use switchboard_telephony::listener::{PublicUrlError, ngrok_public_url, webhook_urls};

async fn fake_ngrok(tunnels: serde_json::Value) -> String {
    let app = Router::new().route("/api/tunnels", get(move || async move { axum::Json(tunnels) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn the_https_tunnel_is_picked() {
    let base = fake_ngrok(serde_json::json!({"tunnels": [
        {"name": "command_line (http)", "public_url": "http://abc.ngrok.app", "proto": "http",
         "config": {"addr": "http://localhost:8123"}},
        {"name": "command_line", "public_url": "https://abc.ngrok.app", "proto": "https",
         "config": {"addr": "http://localhost:8123", "inspect": true}},
    ], "uri": "/api/tunnels"}))
    .await;
    let url = ngrok_public_url(&base).await.unwrap();
    assert_eq!(url.as_deref(), Some("https://abc.ngrok.app"));
    let urls = webhook_urls(&url.unwrap());
    assert!(urls.contains(&("Twilio voice URL (A call comes in / Url)", "https://abc.ngrok.app/twilio/voice".into())));
}

#[tokio::test]
async fn no_https_tunnel_is_none_and_no_ngrok_is_an_error() {
    let base =
        fake_ngrok(serde_json::json!({"tunnels": [{"public_url": "tcp://0.tcp.ngrok.io:1234", "proto": "tcp"}]})).await;
    assert_eq!(ngrok_public_url(&base).await.unwrap(), None);

    let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}", unused.local_addr().unwrap());
    drop(unused);
    let error = ngrok_public_url(&closed).await.unwrap_err();
    assert!(matches!(error, PublicUrlError::Unreachable { .. }), "{error}");

    let not_ngrok = fake_ngrok(serde_json::json!({"hello": "world"})).await;
    assert!(matches!(ngrok_public_url(&not_ngrok).await.unwrap_err(), PublicUrlError::Unreadable(_)));
}
