//! The console's state: a running engine, or the reason it could not start (shown in the window).

use std::sync::{Arc, Mutex, PoisonError};

use switchboard_core::BackendKind;
use switchboard_engine::history::{Recordings, apply_retention, retention_days};
use switchboard_engine::{CallReports, Engine, EngineSettings, LiveCalls, now, sample};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;
use switchboard_telephony::ProviderClients;
use switchboard_telephony::backends::elevenlabs::ElevenLabsBackend;
use switchboard_telephony::backends::pipeline::PipelineBackend;
use switchboard_telephony::backends::twilio::TwilioDialer;
use switchboard_telephony::backends::ultravox::UltravoxBackend;
use switchboard_telephony::backends::vapi::VapiBackend;
use switchboard_telephony::backends::{CallPlacing, ReconcileSettings};
use switchboard_telephony::gather::{GatherBackend, GatherCalls, GatherSettings};
use switchboard_voice::{MonitorForks, PipelineSessions};

use crate::keychain::Keychain;
use crate::listener::{self, ListenerInfo, TwilioCarried};
use crate::paths::DataPaths;
use crate::profile_lock::{LockError, ProfileLock};
use crate::provider_set;

/// The simulator's time scale (1 = real time); tests and demos speed calls up with it.
pub const SIM_TIME_SCALE_VAR: &str = "SWITCHBOARD_SIM_TIME_SCALE";
/// The simulator's cast: `realistic` (default) or `cooperative` (everyone answers).
pub const SIM_CAST_VAR: &str = "SWITCHBOARD_SIM_CAST";

/// What the Tauri commands work with.
pub struct Console {
    pub paths: DataPaths,
    pub engine: Result<Arc<Engine>, String>,
    /// The provider clients and settings in force, read by the backends and the listener.
    clients: ProviderClients,
    /// The listen-in forks of hosted calls whose monitor streams the listener expects.
    pub monitor_forks: MonitorForks,
    /// The listener's port in this run.
    port: u16,
    /// The webhook listener, once the engine runs.
    listener: Mutex<Option<ListenerInfo>>,
    /// Held while a new set of clients is built, so two saves apply in the order they were made.
    applying: tokio::sync::Mutex<()>,
    /// The profile, held while the console runs (none when another process holds it).
    _lock: Option<ProfileLock>,
}

impl Console {
    /// With the profile taken (`lock`), opens the database, seeds the samples on first start,
    /// closes calls a previous run left open, and registers the backends. A failure (another
    /// process holding the profile too) is kept and shown by the console, not fatal; when the
    /// profile is held, nothing in it is touched.
    pub async fn start(paths: DataPaths, keychain: Arc<Keychain>, lock: Result<ProfileLock, LockError>) -> Console {
        match lock {
            Ok(lock) => Self::start_holding(paths, keychain, lock).await,
            Err(refused) => Self::not_started(paths, refused.to_string(), None),
        }
    }

    async fn start_holding(paths: DataPaths, keychain: Arc<Keychain>, lock: ProfileLock) -> Console {
        let simulator = Simulator::new(SimSettings {
            time_scale: sim_time_scale(),
            cast: sim_cast(),
            record: true,
            ..SimSettings::default()
        });
        let live = LiveCalls::default();
        let started = async {
            let store = Arc::new(Store::open(&paths.database).map_err(|err| err.to_string())?);
            let seeded = sample::seed_shipped(&store).map_err(|err| err.to_string())?;
            if seeded {
                tracing::info!("seeded the sample agents and vendors");
            }
            let port = listener::run_port(&store);
            let built = provider_set::build(&keychain, &store, port).await;
            let info = ListenerInfo::new(port, &built);
            let clients = ProviderClients::new(built.set);
            let settings =
                EngineSettings { recordings_dir: Some(paths.recordings.clone()), ..EngineSettings::default() };
            let mut engine = Engine::new(Arc::clone(&store), settings);
            engine.register_backend(Arc::new(simulator.with_live_audio(engine.live_audio().clone())));
            let hosted = Hosted::register(&mut engine, &store, &live, &clients);
            remove_unfinished_recordings(engine.recordings()).await;
            engine.close_abandoned_calls().await.map_err(|err| err.to_string())?;
            let engine = Arc::new(engine);
            let reports = CallReports::new(store, engine.bus().clone(), live.clone(), engine.recordings());
            hosted.spawn_reconcilers(&reports);
            engine.resume_campaigns().await.map_err(|err| err.to_string())?;
            spawn_retention(Arc::clone(&engine));
            tracing::info!(backends = ?engine.available_backends(), "backends available");
            Ok::<_, String>((engine, clients, info, hosted.carried))
        }
        .await;
        match started {
            Ok((engine, clients, info, carried)) => {
                let port = info.port;
                let monitor_forks = carried.pipeline.monitor_forks().clone();
                let info = listener::start(&engine, info, clients.clone(), live, carried).await;
                Console {
                    paths,
                    engine: Ok(engine),
                    clients,
                    monitor_forks,
                    port,
                    listener: Mutex::new(Some(info)),
                    applying: tokio::sync::Mutex::default(),
                    _lock: Some(lock),
                }
            }
            Err(reason) => Self::not_started(paths, reason, Some(lock)),
        }
    }

    /// A console without an engine, showing `reason`.
    fn not_started(paths: DataPaths, reason: String, lock: Option<ProfileLock>) -> Console {
        tracing::error!(%reason, "the console cannot start");
        eprintln!("switchboard: {reason}");
        Console {
            paths,
            engine: Err(reason),
            clients: ProviderClients::default(),
            monitor_forks: MonitorForks::default(),
            port: 0,
            listener: Mutex::new(None),
            applying: tokio::sync::Mutex::default(),
            _lock: lock,
        }
    }

    /// Builds the provider clients again from the keychain and Settings and puts them in force:
    /// calls placed from now on, webhooks and `/health` use them; calls under way keep theirs.
    /// Called whenever a key or a setting they depend on is saved.
    pub async fn apply_settings(&self, keychain: &Arc<Keychain>) {
        let Ok(engine) = &self.engine else {
            return;
        };
        let _applying = self.applying.lock().await;
        let built = provider_set::build(keychain, engine.store(), self.port).await;
        if let Some(info) = self.listener.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            info.follow(&built);
        }
        self.clients.replace(built.set);
        tracing::info!(backends = ?engine.available_backends(), "provider keys and settings applied");
    }

    /// The backends that can place calls now.
    pub fn backends(&self) -> Vec<BackendKind> {
        match &self.engine {
            Ok(engine) => engine.available_backends(),
            Err(_) => vec![BackendKind::Simulator],
        }
    }

    /// The provider clients in force (shared: they follow Settings).
    pub fn clients(&self) -> &ProviderClients {
        &self.clients
    }

    /// The webhook listener as it is now, once the engine runs.
    pub fn listener(&self) -> Option<ListenerInfo> {
        self.listener.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The backends that place real calls, all registered whatever keys are set: each takes its
/// clients from the shared [`ProviderClients`] per call and is available while they are set.
struct Hosted {
    elevenlabs: ElevenLabsBackend,
    vapi: VapiBackend,
    carried: TwilioCarried,
}

impl Hosted {
    fn register(engine: &mut Engine, store: &Arc<Store>, live: &LiveCalls, clients: &ProviderClients) -> Self {
        let reconcile = ReconcileSettings::default();
        let placing = CallPlacing { clients: clients.clone(), store: Arc::clone(store), live: live.clone(), reconcile };
        let elevenlabs = ElevenLabsBackend::with_clients(placing.clone());
        engine.register_backend(Arc::new(elevenlabs.clone()));
        let vapi = VapiBackend::with_clients(placing.clone());
        engine.register_backend(Arc::new(vapi.clone()));
        // One dialer places every call Twilio carries; it leaves pipeline calls that have their
        // media stream to their session.
        let sessions = PipelineSessions::default();
        let dialer = TwilioDialer::with_clients(placing).with_pipeline(sessions.clone());
        let ultravox = UltravoxBackend::with_clients(clients.clone(), dialer.clone(), Arc::clone(store), reconcile);
        engine.register_backend(Arc::new(ultravox.clone()));
        let pipeline = PipelineBackend::with_clients(sessions.clone(), clients.clone(), dialer.clone());
        engine.register_backend(Arc::new(pipeline));
        let reports = CallReports::new(Arc::clone(store), engine.bus().clone(), live.clone(), engine.recordings());
        let gather = GatherCalls::with_clients(Arc::clone(store), reports, clients.clone(), GatherSettings::default());
        engine.register_backend(Arc::new(GatherBackend::new(gather.clone(), dialer.clone())));
        let carried = TwilioCarried { dialer, ultravox, pipeline: sessions, gather };
        Self { elevenlabs, vapi, carried }
    }

    /// Starts every reconciler; each skips its passes while its provider's key is not set.
    fn spawn_reconcilers(&self, reports: &CallReports) {
        self.elevenlabs.spawn_reconciler(reports.clone());
        self.vapi.spawn_reconciler(reports.clone());
        self.carried.dialer.spawn_reconciler(reports.clone());
        self.carried.ultravox.spawn_reconciler(reports.clone());
    }
}

/// Deletes the recordings a crash left unfinished (no call is live yet).
async fn remove_unfinished_recordings(recordings: Option<Recordings>) {
    let Some(recordings) = recordings else { return };
    match tauri::async_runtime::spawn_blocking(move || recordings.remove_unfinished()).await {
        Ok(Ok(0)) | Err(_) => {}
        Ok(Ok(count)) => tracing::info!(count, "deleted recordings left unfinished by a crash"),
        Ok(Err(err)) => tracing::warn!(error = %err, "could not look for unfinished recordings"),
    }
}

/// Applies the recording retention setting now and every hour after.
fn spawn_retention(engine: Arc<Engine>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let engine = Arc::clone(&engine);
            let done = tauri::async_runtime::spawn_blocking(move || {
                let (Some(recordings), Some(days)) = (engine.recordings(), retention_days(engine.store())?) else {
                    return Ok(0);
                };
                apply_retention(engine.store(), &recordings, days, now())
            })
            .await;
            if let Ok(Err(err)) = done {
                tracing::warn!(error = %err, "could not apply the recording retention");
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
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
pub fn sim_cast() -> Cast {
    match std::env::var(SIM_CAST_VAR).as_deref() {
        Ok("cooperative") => Cast::Cooperative,
        Ok("realistic") | Err(_) => Cast::Realistic,
        Ok(other) => {
            tracing::warn!(value = other, "{SIM_CAST_VAR} is not realistic or cooperative; using realistic");
            Cast::Realistic
        }
    }
}

#[cfg(test)]
mod tests {
    //! The console as `make test` runs it: a real Secret Service on the D-Bus session (see the
    //! keychain's tests), a profile in a temporary folder. Nothing here reaches a provider: the
    //! keys saved are only turned into clients.

    use switchboard_providers::Secret;

    use super::*;
    use crate::keychain::KEYS;
    use crate::keychain::tests::secret_service;
    use crate::listener::{LISTENER_PORT, PUBLIC_URL};
    use crate::profile_lock::Holder;

    #[tokio::test]
    async fn keys_and_settings_saved_after_start_up_are_in_force_at_once() {
        secret_service();
        let dir = tempfile::tempdir().unwrap();
        let paths = DataPaths::under(dir.path().to_owned());
        std::fs::create_dir_all(&paths.root).unwrap();
        let store = Store::open(&paths.database).unwrap();
        store.set_setting(LISTENER_PORT, "0").unwrap();
        store.set_setting(PUBLIC_URL, "https://before.example").unwrap();
        drop(store);
        let keychain = Arc::new(Keychain::for_service("app.switchboard.console.test-apply"));
        for spec in &KEYS {
            keychain.delete(spec.id).unwrap();
        }
        let unset = |id: &str| std::env::var(KEYS.iter().find(|spec| spec.id == id).unwrap().env).is_err();
        assert!(
            ["vapi_api_key", "vapi_webhook_secret", "twilio_account_sid", "anthropic_api_key"]
                .map(unset)
                .iter()
                .all(|u| *u),
            "run without provider keys in the environment"
        );

        let lock = ProfileLock::acquire(&paths, Holder::Console);
        let console = Console::start(paths, Arc::clone(&keychain), lock).await;
        assert_eq!(console.backends(), [BackendKind::Simulator]);
        let info = console.listener().unwrap();
        assert!(info.local_url.is_some() && info.verified.is_empty(), "{info:?}");

        // Vapi's key and webhook secret: its backend is on and its webhooks verified.
        keychain.set("vapi_api_key", &Secret::new("vapi-saved-later")).unwrap();
        keychain.set("vapi_webhook_secret", &Secret::new("vapi-secret-saved-later")).unwrap();
        console.apply_settings(&keychain).await;
        assert_eq!(console.backends(), [BackendKind::Simulator, BackendKind::Vapi]);
        assert_eq!(console.listener().unwrap().verified, ["Vapi"]);

        // Twilio's account, Anthropic's key and the calling number: speech-gather calls can be
        // placed; the public URL saved meanwhile is what they and the listener use.
        keychain.set("twilio_account_sid", &Secret::new("AC0123456789abcdef0123456789abcdef")).unwrap();
        keychain.set("twilio_auth_token", &Secret::new("twilio-token-saved-later")).unwrap();
        keychain.set("anthropic_api_key", &Secret::new("sk-ant-saved-later")).unwrap();
        let store = console.engine.as_ref().unwrap().store();
        store.set_setting(switchboard_engine::settings::TWILIO_FROM_NUMBER, "+13125550100").unwrap();
        store.set_setting(PUBLIC_URL, "https://after.example").unwrap();
        console.apply_settings(&keychain).await;
        assert_eq!(console.backends(), [BackendKind::Simulator, BackendKind::Vapi, BackendKind::Gather]);
        let info = console.listener().unwrap();
        assert_eq!((info.public_url.as_str(), info.public_url_source.as_str()), ("https://after.example", "settings"));
        assert!(info.urls.iter().all(|url| url.url.contains("://after.example/")), "{:?}", info.urls);
        assert_eq!(info.verified, ["Twilio", "Vapi"]);
        assert_eq!(console.clients().current().public_base_url, "https://after.example");
        assert!(!format!("{info:?}").contains("saved-later"), "no key in what Settings shows");

        // A key removed turns its backend off again.
        keychain.delete("vapi_api_key").unwrap();
        console.apply_settings(&keychain).await;
        assert_eq!(console.backends(), [BackendKind::Simulator, BackendKind::Gather]);
        for spec in &KEYS {
            keychain.delete(spec.id).unwrap();
        }
    }
}
