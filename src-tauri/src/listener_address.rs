//! Where the webhook listener listens (its port on 127.0.0.1) and the public URL providers reach
//! it at: the command line's, else Settings', else ngrok's tunnel, else the listener itself.

use std::net::Ipv4Addr;
use std::sync::Arc;

use switchboard_engine::{EngineError, blocking};
use switchboard_store::Store;
use switchboard_telephony::listener::{ListenerSettings, NGROK_API_BASE, ngrok_public_url};

/// The setting holding the listener's port on 127.0.0.1.
pub const LISTENER_PORT: &str = "listener_port";
/// The setting holding the URL providers reach the listener at (empty: detect).
pub const PUBLIC_URL: &str = "public_base_url";
const DEFAULT_PORT: u16 = 8765;

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
