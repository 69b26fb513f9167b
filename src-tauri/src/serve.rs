//! `switchboard serve` (also `listen`): the whole engine without a window, over the profile's
//! database, until Ctrl-C or SIGTERM: the webhook listener with every route, the campaign runners
//! (unfinished campaigns resume), the reconcilers and recording retention. Keys come from the
//! environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, ELEVENLABS_API_KEY, ...: see the keychain's
//! `KEYS`) or, unless `--no-keychain`, the OS keychain. Prints the URLs to give each provider,
//! then each call's changes. Holds the profile (see `profile_lock`) meanwhile. On a shared
//! Postgres (`--database`) it is one node of many (see `switchboard_engine::nodes`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use switchboard_engine::EngineEvent;
use switchboard_engine::nodes::NodeSettings;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::TlsAcceptor;

use crate::console::Console;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, ProfileLock};
use crate::startup::{self, ProviderArgs, Startup};
use crate::team::api::{self, TeamServer};
use crate::team::audio::ListenHubs;
use crate::team::{node_address, tls};

/// The arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    providers: ProviderArgs,
    /// On Ctrl-C or SIGTERM, how long to wait for the calls on the line to end before stopping
    /// anyway (a second Ctrl-C stops at once; calls left are closed as lost at the next start).
    #[arg(long, default_value_t = 60)]
    drain_secs: u64,
    /// The database to keep everything in: a Postgres URL (`postgres://user@host/name`) for a
    /// team's shared store. Without: the profile's own SQLite file.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The most campaign calls this process has on the line at once; at its limit it takes no
    /// new target (other nodes on the same database take them). Default: 50.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_calls: Option<u32>,
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    team: TeamArgs,
}

/// How a node of a shared database (`--database postgres://…`) keeps its place among the others.
#[derive(Debug, Args)]
struct NodeArgs {
    /// How often this node beats its heart in the shared database, in milliseconds.
    #[arg(long, default_value_t = 5_000, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..))]
    heartbeat_ms: u64,
    /// How long a node's heartbeat may be silent before another declares it dead (closing its
    /// calls as lost and retrying their targets), in milliseconds; at least three heartbeats. A
    /// node whose heartbeat has not reached the database for this less one heartbeat hangs up
    /// its calls and exits (status 3) first.
    #[arg(long, default_value_t = 20_000, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..))]
    node_expiry_ms: u64,
}

impl NodeArgs {
    fn settings(&self) -> Result<NodeSettings, String> {
        let settings = NodeSettings {
            heartbeat: Duration::from_millis(self.heartbeat_ms),
            expiry: Duration::from_millis(self.node_expiry_ms),
        };
        if !settings.fits() {
            return Err(format!(
                "--node-expiry-ms ({}) must be at least {} times --heartbeat-ms ({}): a node whose heartbeat has \
                 not reached the database for the expiry less one heartbeat hangs up its calls and stops, so a \
                 live node needs room for a slow beat",
                self.node_expiry_ms,
                NodeSettings::EXPIRY_IN_HEARTBEATS,
                self.heartbeat_ms
            ));
        }
        Ok(settings)
    }
}

/// The team server's arguments.
#[derive(Debug, Args)]
struct TeamArgs {
    /// Also serve the console's operations over HTTPS to the accounts `switchboard team add-user`
    /// made: consoles sign in to it (Settings → Team server) and share this engine.
    #[arg(long)]
    team: bool,
    /// Where the team server listens (port 0: any free one, printed).
    #[arg(long, default_value = "127.0.0.1:8443", requires = "team")]
    bind: SocketAddr,
    /// The team server's certificate (PEM; with --tls-key). Without: a self-signed one made once
    /// and kept in the profile, its fingerprint printed for consoles to trust.
    #[arg(long, requires = "team")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "team")]
    tls_key: Option<PathBuf>,
    /// How the other nodes of a shared database reach this team server (to listen in on the
    /// calls this node runs): `https://host:port`. Default: the --bind address, unless that is
    /// every address (0.0.0.0): then they cannot.
    #[arg(long, value_name = "URL", requires = "team", value_parser = node_address::parse_advertise_url)]
    advertise_url: Option<String>,
}

/// The exit status of a node that fenced itself, declared dead by another or cut off from the
/// database (a supervisor starts it again as a new node).
const FENCED_EXIT: u8 = 3;

/// Runs Switchboard until the process is asked to stop, then stops it cleanly. Webhooks are
/// committed before they are acknowledged, so a stop at any moment loses none.
pub fn run(args: ServeArgs) -> Result<ExitCode, String> {
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(log_filter()).try_init();
    let node = args.node.settings()?;
    // First, so a stop asked for while the store opens is taken as one (it drains), not as death.
    let mut stops = stop_signals()?;
    let paths = DataPaths::resolve();
    let _lock = ProfileLock::acquire(&paths, Holder::Serve).map_err(|err| err.to_string())?;
    let store = match &args.database {
        Some(url) => startup::open_store_at(url)?,
        None => startup::open_store(&paths)?,
    };
    let team = &args.team;
    let tls = team.team.then(|| tls::load(&paths, team.tls_cert.as_deref(), team.tls_key.as_deref())).transpose()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let ended = runtime.block_on(async move {
        // The team server's port first: one that cannot be had stops nothing already started.
        let team_listener = match &tls {
            Some(_) => Some(
                TcpListener::bind(args.team.bind)
                    .await
                    .map_err(|err| format!("the team server cannot listen on {}: {err}", args.team.bind))?,
            ),
            None => None,
        };
        let keychain = args.providers.keychain();
        let startup = Startup {
            store,
            keychain: Arc::clone(&keychain),
            sim: startup::sim_from_environment(),
            listener: Some(args.providers.listener()),
            resume_campaigns: true,
            backend_override: None,
            max_campaign_calls: args.max_calls.map(|max| max as usize),
            node,
        };
        let (switchboard, info) = startup::start(&paths, startup).await?;
        let mut events = switchboard.engine.bus().subscribe();
        let mut fenced = switchboard.fenced.clone();
        let listening = match info {
            Some(info) if info.error.is_none() => info,
            Some(info) => {
                let reason = info.error.unwrap_or_default();
                switchboard.stop(Duration::ZERO, std::future::ready(())).await;
                return Err(reason);
            }
            None => return Err("the listener was not started".to_owned()),
        };
        let mut lines = vec![format!(
            "Listening on {}; providers reach it at {}",
            listening.local_url.as_deref().unwrap_or_default(),
            listening.public_url
        )];
        lines.extend(listening.urls.iter().map(|url| format!("  {}: {}", url.label, url.url)));
        let console = Arc::new(Console::running(paths, switchboard, listening, None));
        let (api_stop, api) = match (tls, team_listener) {
            (Some(tls), Some(listener)) => {
                let address = listener.local_addr().unwrap_or(args.team.bind);
                lines.push(format!("Team server on https://{address}; certificate SHA-256 {}", tls.fingerprint));
                lines.push(format!("  (certificate: {})", tls.cert_path.display()));
                let advertised = node_address::advertised_url(args.team.advertise_url.as_deref(), address);
                lines.extend(node_address::publish(&console, advertised, &tls.fingerprint).await);
                let router = api::router(Arc::new(TeamServer {
                    console: Arc::clone(&console),
                    keychain,
                    limits: Default::default(),
                    listening: ListenHubs::new(&console),
                }));
                let (stop, stopped) = oneshot::channel::<()>();
                let serving = api::serve(listener, TlsAcceptor::from(tls.config), router, async move {
                    let _ = stopped.await;
                });
                (Some(stop), Some(tokio::spawn(serving)))
            }
            _ => (None, None),
        };
        say(&lines.join("\n"));
        let printing = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        if let EngineEvent::CallUpdated { call } = &*event {
                            let reason = call.end_reason.as_deref().unwrap_or("");
                            say(&format!("call {}: {} {reason}", call.id, call.state.as_str()));
                        }
                    }
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        });
        // A database no other node shares has no fence: its sender is gone, and this waits on.
        let fenced_now = async move {
            if fenced.wait_for(|fenced| *fenced).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(fenced_now);
        tokio::select! {
            _ = stops.recv() => {}
            () = &mut fenced_now => {
                printing.abort();
                return Ok(Ended::Fenced);
            }
        };
        eprintln!(
            "switchboard: stopping; waiting up to {} s for calls on the line (Ctrl-C again: now)",
            args.drain_secs
        );
        // No new operation from a team console; calls on the line go on to their end.
        if let (Some(stop), Some(api)) = (api_stop, api) {
            let _ = stop.send(());
            let _ = api.await;
        }
        let Some(switchboard) = console.take_running() else {
            return Ok(Ended::Stopped);
        };
        let stopping = switchboard.stop(Duration::from_secs(args.drain_secs), async move {
            stops.recv().await;
        });
        // Fenced while draining: the calls are hung up already; nothing is left to wait for.
        let stopped = tokio::select! {
            stopped = stopping => stopped,
            () = fenced_now => {
                printing.abort();
                return Ok(Ended::Fenced);
            }
        };
        printing.abort();
        if !stopped.drained {
            eprintln!("switchboard: stopped with calls on the line; the next start closes them as lost");
        }
        Ok(Ended::Stopped)
    })?;
    match ended {
        Ended::Stopped => Ok(ExitCode::SUCCESS),
        Ended::Fenced => {
            eprintln!("switchboard: this node hung up its calls and stops: it was declared dead or lost the database");
            // Store work may hang on a dead connection: the process goes without waiting for it.
            runtime.shutdown_background();
            Ok(ExitCode::from(FENCED_EXIT))
        }
    }
}

/// How `serve` ended.
enum Ended {
    /// Asked to stop, and stopped.
    Stopped,
    /// Fenced: its calls hung up, it goes at once.
    Fenced,
}

/// Ctrl-C (SIGINT) and SIGTERM, each delivered once on the channel.
pub(crate) fn stop_signals() -> Result<mpsc::UnboundedReceiver<()>, String> {
    let (sender, receiver) = mpsc::unbounded_channel();
    ctrlc::set_handler(move || {
        let _ = sender.send(());
    })
    .map_err(|err| format!("cannot handle Ctrl-C: {err}"))?;
    Ok(receiver)
}

/// Writes a line to stdout (ignoring a closed pipe: the engine runs on).
fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn log_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into())
}
