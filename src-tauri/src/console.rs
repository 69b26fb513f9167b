//! The console's state: a running engine, or the reason it could not start (shown in the window).

use std::sync::Arc;

use switchboard_core::BackendKind;
use switchboard_engine::{Engine, EngineSettings, sample};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

use crate::assets::{SAMPLE_AGENTS, SAMPLE_CONTACTS};
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
}

impl Console {
    /// Opens the database, seeds the samples on first start, closes calls a previous run left
    /// open, and registers the backends. A failure is kept (and shown by the console), not fatal.
    pub async fn start(paths: DataPaths) -> Console {
        let simulator =
            Simulator::new(SimSettings { time_scale: sim_time_scale(), cast: sim_cast(), ..SimSettings::default() });
        let backends = vec![BackendKind::Simulator];
        let engine = async {
            let store = Arc::new(Store::open(&paths.database).map_err(|err| err.to_string())?);
            let seeded = sample::seed_once(&store, SAMPLE_AGENTS, SAMPLE_CONTACTS).map_err(|err| err.to_string())?;
            if seeded {
                tracing::info!("seeded the sample agents and vendors");
            }
            let mut engine = Engine::new(store, EngineSettings::default());
            engine.register_backend(Arc::new(simulator));
            engine.close_abandoned_calls().await.map_err(|err| err.to_string())?;
            let engine = Arc::new(engine);
            engine.resume_campaigns().await.map_err(|err| err.to_string())?;
            Ok::<_, String>(engine)
        }
        .await;
        if let Err(reason) = &engine {
            tracing::error!(%reason, "the console cannot start");
            eprintln!("switchboard: {reason}");
        }
        Console { paths, backends, engine }
    }
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
