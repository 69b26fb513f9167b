//! The console's state: a running engine, or the reason it could not start (shown in the window).

use std::sync::Arc;

use switchboard_core::BackendKind;
use switchboard_engine::backends::elevenlabs::{ElevenLabsBackend, ReconcileSettings};
use switchboard_engine::history::{apply_retention, retention_days};
use switchboard_engine::{CallReports, Engine, EngineSettings, LiveCalls, now, sample};
use switchboard_providers::HttpSettings;
use switchboard_providers::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

use crate::assets::{SAMPLE_AGENTS, SAMPLE_CONTACTS};
use crate::keychain::Keychain;
use crate::listener::{self, ListenerInfo};
use crate::paths::DataPaths;

/// The simulator's time scale (1 = real time); tests and demos speed calls up with it.
pub const SIM_TIME_SCALE_VAR: &str = "SWITCHBOARD_SIM_TIME_SCALE";
/// The simulator's cast: `realistic` (default) or `cooperative` (everyone answers).
pub const SIM_CAST_VAR: &str = "SWITCHBOARD_SIM_CAST";

/// What the Tauri commands work with.
pub struct Console {
    pub paths: DataPaths,
    pub backends: Vec<BackendKind>,
    pub engine: Result<Arc<Engine>, String>,
    /// The webhook listener, once the engine runs.
    pub listener: Option<ListenerInfo>,
}

impl Console {
    /// Opens the database, seeds the samples on first start, closes calls a previous run left
    /// open, and registers the backends. A failure is kept (and shown by the console), not fatal.
    pub async fn start(paths: DataPaths, keychain: Arc<Keychain>) -> Console {
        let simulator = Simulator::new(SimSettings {
            time_scale: sim_time_scale(),
            cast: sim_cast(),
            record: true,
            ..SimSettings::default()
        });
        let mut backends = vec![BackendKind::Simulator];
        let live = LiveCalls::default();
        let elevenlabs = elevenlabs_client(&keychain).await;
        let engine = async {
            let store = Arc::new(Store::open(&paths.database).map_err(|err| err.to_string())?);
            let seeded = sample::seed_once(&store, SAMPLE_AGENTS, SAMPLE_CONTACTS).map_err(|err| err.to_string())?;
            if seeded {
                tracing::info!("seeded the sample agents and vendors");
            }
            let settings =
                EngineSettings { recordings_dir: Some(paths.recordings.clone()), ..EngineSettings::default() };
            let mut engine = Engine::new(Arc::clone(&store), settings);
            engine.register_backend(Arc::new(simulator.with_live_audio(engine.live_audio().clone())));
            let elevenlabs = elevenlabs.clone().map(|client| {
                ElevenLabsBackend::new(client, Arc::clone(&store), live.clone(), ReconcileSettings::default())
            });
            if let Some(backend) = &elevenlabs {
                engine.register_backend(Arc::new(backend.clone()));
                backends.push(BackendKind::ElevenLabs);
            }
            engine.close_abandoned_calls().await.map_err(|err| err.to_string())?;
            let engine = Arc::new(engine);
            if let Some(backend) = &elevenlabs {
                backend.spawn_reconciler(CallReports::new(
                    store,
                    engine.bus().clone(),
                    live.clone(),
                    engine.recordings(),
                ));
            }
            engine.resume_campaigns().await.map_err(|err| err.to_string())?;
            spawn_retention(Arc::clone(&engine));
            Ok::<_, String>(engine)
        }
        .await;
        if let Err(reason) = &engine {
            tracing::error!(%reason, "the console cannot start");
            eprintln!("switchboard: {reason}");
        }
        let listener = match &engine {
            Ok(engine) => Some(listener::start(engine, keychain, live, elevenlabs).await),
            Err(_) => None,
        };
        Console { paths, backends, engine, listener }
    }
}

/// The ElevenLabs client when the keychain (or the environment) holds an API key; a key that
/// cannot be read or used is logged (never its value) and leaves the backend out.
async fn elevenlabs_client(keychain: &Arc<Keychain>) -> Option<ElevenLabsClient> {
    let keychain = Arc::clone(keychain);
    let key = tauri::async_runtime::spawn_blocking(move || keychain.get("elevenlabs_api_key")).await.ok()?;
    let api_key = match key {
        Ok(Some(key)) => key,
        Ok(None) => return None,
        Err(err) => {
            tracing::warn!(error = %err, "the ElevenLabs API key could not be read; that backend is off");
            return None;
        }
    };
    let config = ElevenLabsConfig { base_url: ElevenLabsConfig::DEFAULT_BASE_URL.to_owned(), api_key };
    match ElevenLabsClient::new(config, &HttpSettings::default()) {
        Ok(client) => {
            tracing::info!("the ElevenLabs Agents backend is available");
            Some(client)
        }
        Err(err) => {
            tracing::warn!(error = %err, "the ElevenLabs client could not be set up; that backend is off");
            None
        }
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
