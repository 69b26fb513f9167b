//! The webhook listener inside the console: started with the engine on 127.0.0.1 (port from
//! Settings), verifying each provider's webhooks with the secrets in the keychain, reachable by
//! providers at the public URL from Settings, else at ngrok's tunnel when one runs, else locally.
//! Its `/health` checks the APIs of the providers whose keys are set (at most once a minute).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;
use switchboard_engine::backends::ReportClients;
use switchboard_engine::backends::twilio::TwilioDialer;
use switchboard_engine::backends::ultravox::UltravoxBackend;
use switchboard_engine::gather::GatherCalls;
use switchboard_engine::pipeline::PipelineSessions;
use switchboard_engine::server::{
    ConnectionProbe, ListenerSettings, ListenerState, NGROK_API_BASE, WebhookSecrets, ngrok_public_url, replay_inbox,
    serve, spawn_inbox_processor, webhook_urls,
};
use switchboard_engine::{Engine, LiveCalls};
use switchboard_store::Store;
use ts_rs::TS;

use crate::keychain::Keychain;
use crate::provider_api;

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

/// What the listener serves for the backends Twilio carries: the dialer's AMD verdicts and
/// recordings, Ultravox's call ends, the pipeline's media streams and speech-gather's requests.
pub struct TwilioCarried {
    pub dialer: TwilioDialer,
    pub ultravox: Option<UltravoxBackend>,
    pub pipeline: Option<PipelineSessions>,
    pub gather: Option<GatherCalls>,
}

/// Overrides the port for this run (0: any free port; tests run several apps at once).
pub const LISTENER_PORT_VAR: &str = "SWITCHBOARD_LISTENER_PORT";

/// The port for this run: `SWITCHBOARD_LISTENER_PORT`, else the one Settings chose, else 8765.
pub fn port(store: &Store) -> u16 {
    let chosen = || store.setting(LISTENER_PORT).ok().flatten().and_then(|port| port.parse().ok());
    std::env::var(LISTENER_PORT_VAR).ok().and_then(|port| port.parse().ok()).or_else(chosen).unwrap_or(DEFAULT_PORT)
}

/// Starts the listener for `engine`; a port in use is reported, not fatal. Webhook reports go to
/// the calls' tasks filed in `live` (shared with the hosted backends); recordings are fetched
/// with the `clients` of the backends that are configured; Twilio's callbacks, media streams
/// and gather requests go to the backends `twilio` carries, when configured.
pub async fn start(
    engine: &Arc<Engine>,
    keychain: Arc<Keychain>,
    live: LiveCalls,
    clients: ReportClients,
    twilio: Option<TwilioCarried>,
) -> ListenerInfo {
    let store = Arc::clone(engine.store());
    // Port 0 (any): take a free one now, so the local public URL names the real port.
    let port = match port(&store) {
        0 => std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|probe| probe.local_addr())
            .map_or(0, |address| address.port()),
        port => port,
    };
    let (public_url, public_url_source) = public_url(&store, port).await;
    let (secrets, targets) = tauri::async_runtime::spawn_blocking(move || {
        (secrets(&keychain), provider_api::connection_targets(&|id| keychain.get(id)))
    })
    .await
    .unwrap_or_default();
    let verified = [
        ("Twilio", secrets.twilio_auth_token.is_some()),
        ("ElevenLabs", secrets.elevenlabs.is_some()),
        ("Ultravox", secrets.ultravox.is_some()),
        ("Vapi", secrets.vapi.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(provider, _)| provider.to_owned())
    .collect();
    let urls =
        webhook_urls(&public_url).into_iter().map(|(label, url)| WebhookUrl { label: label.to_owned(), url }).collect();
    let mut info = ListenerInfo {
        port,
        local_url: None,
        public_url: public_url.clone(),
        public_url_source: public_url_source.to_owned(),
        urls,
        verified,
        error: None,
    };
    let mut state = ListenerState::new(store, engine.bus().clone(), secrets, ListenerSettings::new(&public_url))
        .with_live_calls(live, engine.recordings())
        .with_probe(Arc::new(ConnectionProbe::new(targets)))
        .with_live_audio(engine.live_audio().clone());
    if let Some(client) = clients.elevenlabs {
        state = state.with_elevenlabs(client);
    }
    if let Some(client) = clients.vapi {
        state = state.with_vapi(client);
    }
    if let Some(twilio) = twilio {
        state = state.with_twilio(twilio.dialer);
        if let Some(backend) = twilio.ultravox {
            state = state.with_ultravox(backend);
        }
        if let Some(sessions) = twilio.pipeline {
            state = state.with_pipeline(sessions);
        }
        if let Some(calls) = twilio.gather {
            state = state.with_gather(calls);
        }
    }
    let state = Arc::new(state);
    if let Err(err) = replay_inbox(&state).await {
        tracing::error!(error = %err, "could not replay the webhook inbox");
    }
    spawn_inbox_processor(Arc::clone(&state));
    match serve(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), state).await {
        Ok((bound, _server)) => {
            tracing::info!(%bound, public_url, "webhook listener up");
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

/// The webhook secrets from the keychain (or the environment); one it cannot read is unset.
fn secrets(keychain: &Keychain) -> WebhookSecrets {
    let read = |id: &str| {
        keychain.get(id).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "a webhook secret could not be read");
            None
        })
    };
    WebhookSecrets {
        twilio_auth_token: read("twilio_auth_token"),
        elevenlabs: read("elevenlabs_webhook_secret"),
        ultravox: read("ultravox_webhook_secret"),
        vapi: read("vapi_webhook_secret"),
    }
}
