//! The webhook listener inside the console: started with the engine on 127.0.0.1 (port from
//! Settings, from the next start), verifying each provider's webhooks with the secrets in the
//! keychain, reachable by providers at the public URL from Settings, else at ngrok's tunnel when
//! one runs, else locally. Its `/health` checks the APIs of the providers whose keys are set (at
//! most once a minute). Secrets and the public URL follow Settings at once (see
//! [`provider_set`](crate::provider_set)).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;
use switchboard_engine::{Engine, LiveCalls};
use switchboard_store::Store;
use switchboard_telephony::ProviderClients;
use switchboard_telephony::backends::twilio::TwilioDialer;
use switchboard_telephony::backends::ultravox::UltravoxBackend;
use switchboard_telephony::gather::GatherCalls;
use switchboard_telephony::listener::{
    ListenerSettings, ListenerState, NGROK_API_BASE, WebhookSecrets, ngrok_public_url, replay_inbox, serve,
    spawn_inbox_processor, webhook_urls,
};
use switchboard_voice::PipelineSessions;
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
    /// "settings", "ngrok" or "local".
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
}

/// What the listener serves for the backends Twilio carries: the dialer's AMD verdicts and
/// recordings, Ultravox's call ends, the pipeline's media streams and speech-gather's requests.
pub struct TwilioCarried {
    pub dialer: TwilioDialer,
    pub ultravox: UltravoxBackend,
    pub pipeline: PipelineSessions,
    pub gather: GatherCalls,
}

/// Overrides the port for this run (0: any free port; tests run several apps at once).
pub const LISTENER_PORT_VAR: &str = "SWITCHBOARD_LISTENER_PORT";

/// The port for this run: `SWITCHBOARD_LISTENER_PORT`, else the one Settings chose, else 8765.
pub fn port(store: &Store) -> u16 {
    let chosen = || store.setting(LISTENER_PORT).ok().flatten().and_then(|port| port.parse().ok());
    std::env::var(LISTENER_PORT_VAR).ok().and_then(|port| port.parse().ok()).or_else(chosen).unwrap_or(DEFAULT_PORT)
}

/// The port to listen on in this run: [`port`], with 0 (any) resolved to a free port now, so the
/// local public URL names the real port.
pub fn run_port(store: &Store) -> u16 {
    match port(store) {
        0 => std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|probe| probe.local_addr())
            .map_or(0, |address| address.port()),
        port => port,
    }
}

/// Starts the listener for `engine` on `info`'s port; a port in use is reported, not fatal.
/// Webhooks are verified, `/health` probed and recordings fetched with whatever `clients` holds
/// at each request; reports go to the calls' tasks filed in `live` (shared with the hosted
/// backends); Twilio's callbacks, media streams and gather requests go to the backends `twilio`
/// carries.
pub async fn start(
    engine: &Arc<Engine>,
    mut info: ListenerInfo,
    clients: ProviderClients,
    live: LiveCalls,
    twilio: TwilioCarried,
) -> ListenerInfo {
    let store = Arc::clone(engine.store());
    let settings = ListenerSettings::new(&info.public_url);
    let state = ListenerState::new(store, engine.bus().clone(), WebhookSecrets::default(), settings)
        .with_clients(clients)
        .with_live_calls(live, engine.recordings())
        .with_live_audio(engine.live_audio().clone())
        .with_twilio(twilio.dialer)
        .with_ultravox(twilio.ultravox)
        .with_pipeline(twilio.pipeline)
        .with_gather(twilio.gather);
    let state = Arc::new(state);
    if let Err(err) = replay_inbox(&state).await {
        tracing::error!(error = %err, "could not replay the webhook inbox");
    }
    spawn_inbox_processor(Arc::clone(&state));
    let port = info.port;
    match serve(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), state).await {
        Ok((bound, _server)) => {
            tracing::info!(%bound, public_url = info.public_url, "webhook listener up");
            info.local_url = Some(format!("http://{bound}"));
            info.port = bound.port();
        }
        Err(err) => {
            tracing::warn!(port, error = %err, "the webhook listener could not start");
            info.error = Some(format!("cannot listen on 127.0.0.1:{port}: {err}"));
        }
    }
    info
}

/// The URL providers reach the listener at, and where it came from ("settings", "ngrok" or
/// "local").
pub async fn public_url(store: &Store, port: u16) -> (String, &'static str) {
    if let Some(url) = store.setting(PUBLIC_URL).ok().flatten().filter(|url| !url.trim().is_empty()) {
        return (url.trim().to_owned(), "settings");
    }
    match ngrok_public_url(NGROK_API_BASE).await {
        Ok(Some(url)) => (url, "ngrok"),
        _ => (ListenerSettings::local_base_url(port), "local"),
    }
}
