//! The console's state: a running engine, or the reason it could not start (shown in the window).

use std::sync::Arc;

use switchboard_core::BackendKind;
use switchboard_engine::history::{apply_retention, retention_days};
use switchboard_engine::{Engine, EngineSettings, now, sample};
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
        let backends = vec![BackendKind::Simulator];
        let engine = async {
            let store = Arc::new(Store::open(&paths.database).map_err(|err| err.to_string())?);
            let seeded = sample::seed_once(&store, SAMPLE_AGENTS, SAMPLE_CONTACTS).map_err(|err| err.to_string())?;
            if seeded {
                tracing::info!("seeded the sample agents and vendors");
            }
            let settings =
                EngineSettings { recordings_dir: Some(paths.recordings.clone()), ..EngineSettings::default() };
            let mut engine = Engine::new(store, settings);
            engine.register_backend(Arc::new(simulator));
            engine.close_abandoned_calls().await.map_err(|err| err.to_string())?;
            let engine = Arc::new(engine);
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
            Ok(engine) => Some(listener::start(engine, keychain).await),
            Err(_) => None,
        };
        Console { paths, backends, engine, listener }
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
