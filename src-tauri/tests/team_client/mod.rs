//! A console's side of a running `serve --team`, for the tests that drive one or several: TLS
//! trusting a server's own certificate, the HTTPS API (sign-in, operations), its WebSockets, and
//! a quote call started through it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

pub const PASSWORD: &str = "a long enough password";

/// A running team server: where it listens (`127.0.0.1:port`).
pub trait TeamServer {
    fn address(&self) -> &str;
}

/// TLS that trusts the profile's certificate alone (as a console does once it is pinned).
pub fn trusting(cert: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    tls_with(roots)
}

pub fn tls_with(roots: RootCertStore) -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A client of a team server's API, keeping every answer's body to look for keys in.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub bodies: Vec<String>,
    /// The `Retry-After` of the last answer, if it had one.
    pub last_retry_after: Option<String>,
}

impl Client {
    pub fn new(server: &impl TeamServer, tls: Arc<ClientConfig>) -> Self {
        let http = reqwest::Client::builder().use_preconfigured_tls((*tls).clone()).build().unwrap();
        Self {
            http,
            base: format!("https://localhost:{}", port_of(server.address())),
            bodies: Vec::new(),
            last_retry_after: None,
        }
    }

    pub async fn post(&mut self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_owned());
        self.last_retry_after = retry_after;
        let text = response.text().await.unwrap();
        self.bodies.push(text.clone());
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn sign_in(&mut self, name: &str) -> String {
        let (status, session) = self.post("/api/v1/session", None, json!({"name": name, "password": PASSWORD})).await;
        assert_eq!(status, 200, "{session}");
        session["token"].as_str().unwrap().to_owned()
    }

    pub async fn op(&mut self, operation: &str, token: Option<&str>, args: Value) -> (u16, Value) {
        self.post(&format!("/api/v1/ops/{operation}"), token, args).await
    }
}

pub type Events = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// The WebSocket at `path` of `server`, opened with `token`, or the server's refusal.
pub async fn open_socket(
    server: &impl TeamServer,
    tls: &Arc<ClientConfig>,
    token: &str,
    path: &str,
) -> Result<Events, tokio_tungstenite::tungstenite::Error> {
    let port = port_of(server.address()).to_owned();
    let mut request = format!("wss://localhost:{port}{path}").into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::clone(tls))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    Ok(tokio_tungstenite::client_async(request, stream).await?.0)
}

/// Reads `events` until the server closes it: its close code and reason.
pub async fn closed(events: &mut Events) -> (u16, String) {
    let frames = async {
        while let Some(frame) = events.next().await {
            if let Message::Close(Some(close)) = frame.unwrap() {
                return (u16::from(close.code), close.reason.to_string());
            }
        }
        panic!("the event stream ended without a close frame");
    };
    tokio::time::timeout(Duration::from_secs(60), frames).await.expect("the event stream stayed open")
}

/// A dispatcher's quote call to the first vendor with a number: its id.
pub async fn start_quote_call(client: &mut Client, token: &str) -> i64 {
    let (_, agents) = client.op("list_agents", Some(token), json!({})).await;
    let agent = agents.as_array().unwrap().iter().find(|agent| agent["name"] == "Vendor quote").unwrap()["id"].clone();
    let (_, contacts) = client.op("list_contacts", Some(token), json!({})).await;
    let vendor = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|contact| contact["fields"]["details"]["kind"] == "vendor" && !contact["phoneE164"].is_null())
        .unwrap()["id"]
        .clone();
    let request = json!({"item": "pallet wrap", "quantity": 40, "unit": "rolls", "targetPrice": null,
        "deliveryLocation": null, "neededBy": null, "notes": null, "freightEstimate": null, "vendorFreight": []});
    let (status, call) =
        client.op("start_call", Some(token), json!({"contactId": vendor, "agentId": agent, "request": request})).await;
    assert_eq!(status, 200, "{call}");
    call["id"].as_i64().unwrap()
}

fn port_of(address: &str) -> &str {
    address.rsplit(':').next().unwrap()
}
