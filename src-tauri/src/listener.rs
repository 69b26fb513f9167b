//! The webhook listener as the console and the commands set it up: on 127.0.0.1 (port from
//! Settings, from the next start, or the command line), verifying each provider's webhooks with the secrets in the
//! keychain, reachable by providers at the public URL from Settings, else at ngrok's tunnel when
//! one runs, else locally. Its `/health` checks the APIs of the providers whose keys are set (at
//! most once a minute). Secrets and the public URL follow Settings at once (see
//! [`provider_set`](crate::provider_set)).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;
use switchboard_engine::{EngineError, blocking};
use switchboard_store::Store;
use switchboard_telephony::listener::{ListenerSettings, NGROK_API_BASE, ngrok_public_url, webhook_urls};
use ts_rs::TS;

use crate::provider_set::Built;

/// The setting holding the listener's port on 127.0.0.1.
pub const LISTENER_PORT: &str = "listener_port";
/// The setting holding the URL providers reach the listener at (empty: detect).
pub const PUBLIC_URL: &str = "public_base_url";
const DEFAULT_PORT: u16 = 8765;

/// One URL to paste into a provider's dashboard.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WebhookUrl {
    pub label: String,
    pub url: String,
}

/// The listener as Settings shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListenerInfo {
    pub port: u16,
    /// Where it listens, when it does.
    pub local_url: Option<String>,
    pub public_url: String,
    /// "command line", "settings", "ngrok" or "local".
    pub public_url_source: String,
    pub urls: Vec<WebhookUrl>,
    /// Providers whose webhooks can be verified (their secret is set).
    pub verified: Vec<String>,
    /// Why it is not listening, if it is not.
    pub error: Option<String>,
}

impl ListenerInfo {
    /// The listener on `port` as providers reach it with `built`'s public URL and secrets (not
    /// listening yet).
    pub fn new(port: u16, built: &Built) -> Self {
        let mut info = Self {
            port,
            local_url: None,
            public_url: String::new(),
            public_url_source: String::new(),
            urls: Vec::new(),
            verified: Vec::new(),
            error: None,
        };
        info.follow(built);
        info
    }

    /// Takes the public URL, its webhook URLs and the verified providers from `built`.
    pub fn follow(&mut self, built: &Built) {
        let public_url = &built.set.public_base_url;
        self.public_url.clone_from(public_url);
        self.public_url_source = built.public_url_source.to_owned();
        self.urls = webhook_urls(public_url)
            .into_iter()
            .map(|(label, url)| WebhookUrl { label: label.to_owned(), url })
            .collect();
        self.verified.clone_from(&built.verified);
    }

    /// Notes where the listener listens, or why it does not.
    pub fn listening(&mut self, bound: &Result<SocketAddr, String>) {
        match bound {
            Ok(bound) => {
                self.local_url = Some(format!("http://{bound}"));
                self.port = bound.port();
            }
            Err(reason) => self.error = Some(reason.clone()),
        }
    }
}

/// Overrides the port for this run (0: any free port; tests run several apps at once).
pub const LISTENER_PORT_VAR: &str = "SWITCHBOARD_LISTENER_PORT";

/// The port for this run: `SWITCHBOARD_LISTENER_PORT`, else the one Settings chose, else 8765.
pub fn port(store: &Store) -> u16 {
    let chosen = || store.setting(LISTENER_PORT).ok().flatten().and_then(|port| port.parse().ok());
    std::env::var(LISTENER_PORT_VAR).ok().and_then(|port| port.parse().ok()).or_else(chosen).unwrap_or(DEFAULT_PORT)
}

/// The port to listen on in this run: `chosen` (the command line's) or [`port`], with 0 (any)
/// resolved to a free port now, so the local public URL names the real port.
pub async fn run_port(store: &Arc<Store>, chosen: Option<u16>) -> u16 {
    let store = Arc::clone(store);
    let port = match chosen {
        Some(port) => port,
        None => blocking(move || Ok::<_, EngineError>(port(&store))).await.unwrap_or(DEFAULT_PORT),
    };
    match port {
        0 => std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|probe| probe.local_addr())
            .map_or(0, |address| address.port()),
        port => port,
    }
}

/// The URL providers reach the listener at, and where it came from: `chosen` (the command
/// line's, "command line"), else Settings' ("settings"), else ngrok's tunnel ("ngrok"), else
/// the listener itself on `port` ("local").
pub async fn public_url(store: &Arc<Store>, port: u16, chosen: Option<&str>) -> (String, &'static str) {
    if let Some(url) = chosen.map(str::trim).filter(|url| !url.is_empty()) {
        return (url.to_owned(), "command line");
    }
    let held = Arc::clone(store);
    let saved = blocking(move || held.setting(PUBLIC_URL)).await.ok().flatten();
    if let Some(url) = saved.filter(|url| !url.trim().is_empty()) {
        return (url.trim().to_owned(), "settings");
    }
    match ngrok_public_url(NGROK_API_BASE).await {
        Ok(Some(url)) => (url, "ngrok"),
        _ => (ListenerSettings::local_base_url(port), "local"),
    }
}
