//! Starting Switchboard in this process, the same way for the console and every command that
//! runs calls: the profile's database, the provider clients from the keys and Settings, the
//! simulator, and the composition root ([`Switchboard::start`]) with the listener when asked.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use switchboard_core::BackendKind;
use switchboard_engine::Engine;
use switchboard_engine::nodes::NodeSettings;
use switchboard_engine::sample;
use switchboard_sim::rehearsal::{SimRehearser, scripted_callees};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;
use switchboard_telephony::ProviderClients;
use switchboard_telephony::backends::ReconcileSettings;
use switchboard_telephony::listener::ListenerSettings;
use switchboard_telephony::root::{ListenerPlan, Parts, RehearsalParts, SimulatorBackend, Switchboard};

use crate::keychain::Keychain;
use crate::listener::ListenerInfo;
use crate::listener_address;
use crate::paths::DataPaths;
use crate::provider_set;

/// How long a command waits, once its calls have ended, for their last reports to be applied.
pub const SETTLE: Duration = Duration::from_secs(5);

/// The simulator's time scale (1 = real time); tests and demos speed calls up with it.
pub const SIM_TIME_SCALE_VAR: &str = "SWITCHBOARD_SIM_TIME_SCALE";
/// The simulator's cast: `realistic` (default) or `cooperative` (everyone answers).
pub const SIM_CAST_VAR: &str = "SWITCHBOARD_SIM_CAST";

/// How a command reaches the providers and is reached by them.
#[derive(Debug, Clone, Args)]
pub struct ProviderArgs {
    /// The webhook listener's port on 127.0.0.1 (0: any free port). Default:
    /// SWITCHBOARD_LISTENER_PORT, else the console's setting, else 8765.
    #[arg(long)]
    pub port: Option<u16>,
    /// The URL providers reach the listener at (a tunnel's). Default: the console's setting,
    /// else ngrok's https tunnel when ngrok runs, else http://127.0.0.1:<port>.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Read keys only from the environment (TWILIO_ACCOUNT_SID, ...), never the OS keychain.
    #[arg(long)]
    pub no_keychain: bool,
}

impl ProviderArgs {
    /// The listener as chosen on the command line.
    pub fn listener(&self) -> ListenerChoice {
        ListenerChoice { port: self.port, public_url: self.public_url.clone() }
    }

    /// Where the keys are read: the environment, then (unless `--no-keychain`) the keychain.
    pub fn keychain(&self) -> Arc<Keychain> {
        Arc::new(if self.no_keychain { Keychain::environment_only() } else { Keychain::default() })
    }
}

/// Where the listener listens and is reached; unset: as Settings say.
#[derive(Debug, Clone, Default)]
pub struct ListenerChoice {
    pub port: Option<u16>,
    pub public_url: Option<String>,
}

/// The backend a command places its calls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// Each agent's own backend.
    Agent,
    Sim,
    Elevenlabs,
    Vapi,
    Ultravox,
    Pipeline,
    Gather,
}

impl BackendArg {
    /// The backend every call goes to, or `None` for each agent's own.
    pub fn kind(self) -> Option<BackendKind> {
        match self {
            BackendArg::Agent => None,
            BackendArg::Sim => Some(BackendKind::Simulator),
            BackendArg::Elevenlabs => Some(BackendKind::ElevenLabs),
            BackendArg::Vapi => Some(BackendKind::Vapi),
            BackendArg::Ultravox => Some(BackendKind::Ultravox),
            BackendArg::Pipeline => Some(BackendKind::Pipeline),
            BackendArg::Gather => Some(BackendKind::Gather),
        }
    }
}

/// What to start.
pub struct Startup {
    pub store: Arc<Store>,
    pub keychain: Arc<Keychain>,
    pub sim: SimSettings,
    /// Run the webhook listener (with these choices); `None` runs none.
    pub listener: Option<ListenerChoice>,
    pub resume_campaigns: bool,
    pub backend_override: Option<BackendKind>,
    /// The most campaign calls on the line at once (`None`: the engine's default).
    pub max_campaign_calls: Option<usize>,
    /// How a node of a shared (Postgres) database keeps its place among the others.
    pub node: NodeSettings,
}

impl Startup {
    /// An engine for one command's job on `store`: the simulator's defaults, no listener, no
    /// campaign resumed.
    pub fn one_job(store: Arc<Store>, keychain: Arc<Keychain>) -> Self {
        Startup {
            store,
            keychain,
            sim: SimSettings::default(),
            listener: None,
            resume_campaigns: false,
            backend_override: None,
            max_campaign_calls: None,
            node: NodeSettings::default(),
        }
    }
}

/// Starts Switchboard as `startup` says, runs `job` on its engine, then stops it, giving the
/// job's calls [`SETTLE`] for their last reports.
pub async fn run_job<T, Job>(
    paths: &DataPaths,
    startup: Startup,
    job: impl FnOnce(Arc<Engine>) -> Job,
) -> Result<T, String>
where
    Job: Future<Output = Result<T, String>>,
{
    let (switchboard, _) = start(paths, startup).await?;
    let done = job(Arc::clone(&switchboard.engine)).await;
    switchboard.stop(SETTLE, std::future::pending()).await;
    done
}

/// Starts Switchboard over `startup.store` for the profile at `paths`; returns it with the
/// listener as Settings shows it (when one was asked for). Call it holding the profile.
pub async fn start(paths: &DataPaths, startup: Startup) -> Result<(Switchboard, Option<ListenerInfo>), String> {
    let Startup { store, keychain, sim, listener, resume_campaigns, backend_override, max_campaign_calls, node } =
        startup;
    let chosen_port = listener.as_ref().and_then(|choice| choice.port);
    let public_url = listener.as_ref().and_then(|choice| choice.public_url.clone());
    let port = listener_address::run_port(&store, chosen_port).await;
    let built = provider_set::build(&keychain, &store, port, public_url.as_deref()).await;
    let mut info = ListenerInfo::new(port, &built);
    let settings = ListenerSettings::new(&built.set.public_base_url);
    let switchboard = Switchboard::start(Parts {
        store,
        recordings: Some(paths.recordings.clone()),
        clients: ProviderClients::new(built.set),
        simulator: simulator(sim),
        listener: listener.is_some().then_some(ListenerPlan { port, settings }),
        reconcile: ReconcileSettings::default(),
        resume_campaigns,
        backend_override,
        rehearsal: RehearsalParts { rehearsers: vec![Arc::new(SimRehearser)], callees: scripted_callees() },
        max_campaign_calls,
        node,
    })
    .await
    .map_err(|err| err.to_string())?;
    let info = switchboard.listener.as_ref().map(|bound| {
        info.listening(bound);
        info
    });
    Ok((switchboard, info))
}

/// Opens the profile's database, seeding the sample agents and vendors on first use.
pub fn open_store(paths: &DataPaths) -> Result<Arc<Store>, String> {
    seeded(Store::open(&paths.database))
}

/// Opens the database at `location` (a Postgres URL or an SQLite file), seeded like the profile's.
pub fn open_store_at(location: &str) -> Result<Arc<Store>, String> {
    seeded(Store::open_location(location))
}

fn seeded(opened: switchboard_store::Result<Store>) -> Result<Arc<Store>, String> {
    let store = Arc::new(opened.map_err(|err| err.to_string())?);
    if sample::seed_shipped(&store).map_err(|err| err.to_string())? {
        tracing::info!("seeded the sample agents and vendors");
    }
    Ok(store)
}

/// The simulated carrier playing calls as `settings` say, publishing their voices for listening in.
fn simulator(settings: SimSettings) -> SimulatorBackend {
    Box::new(move |live_audio| Arc::new(Simulator::new(settings).with_live_audio(live_audio.clone())))
}

/// The simulator as the console and `serve` play it: `SWITCHBOARD_SIM_TIME_SCALE` and
/// `SWITCHBOARD_SIM_CAST`, recording each answered call.
pub fn sim_from_environment() -> SimSettings {
    SimSettings { time_scale: sim_time_scale(), cast: sim_cast(), record: true, ..SimSettings::default() }
}

fn sim_time_scale() -> f64 {
    match std::env::var(SIM_TIME_SCALE_VAR) {
        Ok(text) => text.parse::<f64>().ok().filter(|scale| *scale > 0.0).unwrap_or_else(|| {
            tracing::warn!(value = %text, "{SIM_TIME_SCALE_VAR} is not a positive number; using real time");
            1.0
        }),
        Err(_) => 1.0,
    }
}

/// The simulator's cast from `SWITCHBOARD_SIM_CAST`.
fn sim_cast() -> Cast {
    match std::env::var(SIM_CAST_VAR).as_deref() {
        Ok("cooperative") => Cast::Cooperative,
        Ok("realistic") | Err(_) => Cast::Realistic,
        Ok(other) => {
            tracing::warn!(value = other, "{SIM_CAST_VAR} is not realistic or cooperative; using realistic");
            Cast::Realistic
        }
    }
}
