//! `switchboard listen`: the webhook listener without the console, over the same database, with
//! the webhook secrets from the environment (TWILIO_AUTH_TOKEN, ELEVENLABS_WEBHOOK_SECRET,
//! ULTRAVOX_WEBHOOK_SECRET, VAPI_WEBHOOK_SECRET), and `/health` checking the APIs of the
//! providers whose keys are set there. Prints the URLs to give each provider. Holds the profile
//! (see `profile_lock`) meanwhile, and first closes the simulated calls a stopped process left
//! open (those of the providers carry on: their webhooks end them).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use switchboard_engine::EngineEvent;
use switchboard_sim::SimSettings;
use switchboard_store::Store;
use switchboard_telephony::listener::{
    ConnectionProbe, ListenerSettings, ListenerState, NGROK_API_BASE, WebhookSecrets, ngrok_public_url, replay_inbox,
    serve, spawn_inbox_processor, webhook_urls,
};

use crate::campaign_cli::simulator_engine;
use crate::keychain;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, ProfileLock};
use crate::provider_api;

/// The arguments of `listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The port to listen on, on 127.0.0.1.
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// The URL providers reach the listener at (a tunnel's). Default: ngrok's https tunnel when
    /// ngrok runs, else http://127.0.0.1:<port>.
    #[arg(long)]
    public_url: Option<String>,
}

/// Runs the listener until the process is stopped. Webhooks are committed before they are
/// acknowledged, so stopping it at any moment loses none; the next start replays them.
pub fn run(args: ListenArgs) -> Result<ExitCode, String> {
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(log_filter()).try_init();
    let paths = DataPaths::resolve();
    let _lock = ProfileLock::acquire(&paths, Holder::Listen).map_err(|err| err.to_string())?;
    let store = Arc::new(Store::open(&paths.database).map_err(|err| err.to_string())?);
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    runtime.block_on(async move {
        let engine = simulator_engine(&store, SimSettings::default()).await?;
        let public_url = match args.public_url {
            Some(url) => url,
            None => match ngrok_public_url(NGROK_API_BASE).await {
                Ok(Some(url)) => url,
                _ => ListenerSettings::local_base_url(args.port),
            },
        };
        let bus = engine.bus().clone();
        let mut events = bus.subscribe();
        let probe = ConnectionProbe::new(provider_api::connection_targets(&keychain::from_environment));
        let state = ListenerState::new(store, bus, WebhookSecrets::from_env(), ListenerSettings::new(&public_url))
            .with_probe(Arc::new(probe));
        let state = Arc::new(state);
        replay_inbox(&state).await.map_err(|err| err.to_string())?;
        spawn_inbox_processor(Arc::clone(&state));
        let (bound, _server) = serve(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)), state)
            .await
            .map_err(|err| format!("cannot listen on 127.0.0.1:{}: {err}", args.port))?;
        let mut out = std::io::stdout().lock();
        let mut lines = vec![format!("Listening on http://{bound}; providers reach it at {public_url}")];
        lines.extend(webhook_urls(&public_url).into_iter().map(|(label, url)| format!("  {label}: {url}")));
        writeln!(out, "{}", lines.join("\n")).map_err(|err| err.to_string())?;
        drop(out);
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let EngineEvent::CallUpdated { call } = &*event {
                        let reason = call.end_reason.as_deref().unwrap_or("");
                        writeln!(std::io::stdout(), "call {}: {} {reason}", call.id, call.state.as_str())
                            .map_err(|err| err.to_string())?;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(ExitCode::SUCCESS),
            }
        }
    })
}

fn log_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into())
}
