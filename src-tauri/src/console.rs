//! The console's state: a running engine, or the reason it could not start (shown in the window).

use std::sync::Arc;

use switchboard_core::BackendKind;
use switchboard_engine::backends::elevenlabs::ElevenLabsBackend;
use switchboard_engine::backends::pipeline::PipelineBackend;
use switchboard_engine::backends::twilio::{TwilioDialer, TwilioDialerSettings};
use switchboard_engine::backends::ultravox::UltravoxBackend;
use switchboard_engine::backends::vapi::VapiBackend;
use switchboard_engine::backends::{ReconcileSettings, ReportClients};
use switchboard_engine::gather::{GatherBackend, GatherCalls, GatherSettings};
use switchboard_engine::history::{apply_retention, retention_days};
use switchboard_engine::pipeline::{PipelineClients, PipelineSessions};
use switchboard_engine::settings::twilio_from_number;
use switchboard_engine::{CallReports, Engine, EngineSettings, LiveCalls, now, sample};
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::deepgram::{DeepgramClient, DeepgramConfig};
use switchboard_providers::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use switchboard_providers::elevenlabs_tts::ElevenLabsTtsClient;
use switchboard_providers::twilio::{TwilioClient, TwilioConfig};
use switchboard_providers::ultravox::{UltravoxClient, UltravoxConfig};
use switchboard_providers::vapi::{VapiClient, VapiConfig};
use switchboard_providers::{HttpSettings, Provider, ProviderError, Secret};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

use crate::assets::{SAMPLE_AGENTS, SAMPLE_CONTACTS};
use crate::keychain::Keychain;
use crate::listener::{self, ListenerInfo, TwilioCarried};
use crate::paths::DataPaths;
use crate::provider_api;

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
        let elevenlabs = client_from_keychain(&keychain, ["elevenlabs_api_key"], "ElevenLabs Agents", |[api_key]| {
            let base_url = provider_api::base_url(Provider::ElevenLabs);
            ElevenLabsClient::new(ElevenLabsConfig { base_url, api_key }, &HttpSettings::default())
        })
        .await;
        let vapi = client_from_keychain(&keychain, ["vapi_api_key"], "Vapi", |[api_key]| {
            let base_url = provider_api::base_url(Provider::Vapi);
            VapiClient::new(VapiConfig { base_url, api_key }, &HttpSettings::default())
        })
        .await;
        let twilio_clients = TwilioCarriedClients::from_keychain(&keychain).await;
        let mut twilio = None;
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
            let vapi = vapi
                .clone()
                .map(|client| VapiBackend::new(client, Arc::clone(&store), live.clone(), ReconcileSettings::default()));
            if let Some(backend) = &vapi {
                engine.register_backend(Arc::new(backend.clone()));
                backends.push(BackendKind::Vapi);
            }
            if let Some(clients) = twilio_clients {
                twilio = register_twilio_carried(&mut engine, &store, &live, clients, &mut backends).await;
            }
            engine.close_abandoned_calls().await.map_err(|err| err.to_string())?;
            let engine = Arc::new(engine);
            let reports = CallReports::new(store, engine.bus().clone(), live.clone(), engine.recordings());
            if let Some(backend) = &elevenlabs {
                backend.spawn_reconciler(reports.clone());
            }
            if let Some(backend) = &vapi {
                backend.spawn_reconciler(reports.clone());
            }
            if let Some(twilio) = &twilio {
                twilio.dialer.spawn_reconciler(reports.clone());
                if let Some(backend) = &twilio.ultravox {
                    backend.spawn_reconciler(reports);
                }
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
            Ok(engine) => {
                let clients = ReportClients { elevenlabs, vapi };
                Some(listener::start(engine, keychain, live, clients, twilio).await)
            }
            Err(_) => None,
        };
        Console { paths, backends, engine, listener }
    }
}

/// A provider's client, built with `build` from its keys, when the keychain (or the environment)
/// holds every one of `keys`; a key that cannot be read or used is logged (never its value) and
/// leaves the backend out.
async fn client_from_keychain<Client, const N: usize>(
    keychain: &Arc<Keychain>,
    keys: [&'static str; N],
    backend: &'static str,
    build: impl FnOnce([Secret; N]) -> Result<Client, ProviderError>,
) -> Option<Client> {
    let keychain = Arc::clone(keychain);
    let read = tauri::async_runtime::spawn_blocking(move || {
        keys.into_iter().map(|key| keychain.get(key)).collect::<Result<Option<Vec<Secret>>, _>>()
    });
    let secrets = match read.await.ok()? {
        Ok(Some(secrets)) => secrets.try_into().ok()?,
        Ok(None) => return None,
        Err(err) => {
            tracing::warn!(error = %err, backend, "a key could not be read; that backend is off");
            return None;
        }
    };
    match build(secrets) {
        Ok(client) => {
            tracing::info!(backend, "backend available");
            Some(client)
        }
        Err(err) => {
            tracing::warn!(error = %err, backend, "the client could not be set up; that backend is off");
            None
        }
    }
}

/// The clients of the backends Twilio carries, from the keychain (or the environment): Twilio's
/// (account SID and auth token), and those of Ultravox, the pipeline (Deepgram, Anthropic and
/// ElevenLabs keys) and speech-gather (Anthropic) where their keys are set.
struct TwilioCarriedClients {
    twilio: TwilioClient,
    ultravox: Option<UltravoxClient>,
    pipeline: Option<PipelineClients>,
    anthropic: Option<AnthropicClient>,
}

impl TwilioCarriedClients {
    async fn from_keychain(keychain: &Arc<Keychain>) -> Option<Self> {
        let http = HttpSettings::default();
        let twilio_keys = ["twilio_account_sid", "twilio_auth_token"];
        let twilio = client_from_keychain(keychain, twilio_keys, "the Twilio dialer", |[account_sid, auth_token]| {
            let base_url = provider_api::base_url(Provider::Twilio);
            let account_sid = account_sid.expose().trim().to_owned();
            TwilioClient::new(TwilioConfig { base_url, account_sid, auth_token, api_key_sid: None }, &http)
        })
        .await?;
        let ultravox = client_from_keychain(keychain, ["ultravox_api_key"], "Ultravox", |[api_key]| {
            let base_url = provider_api::base_url(Provider::Ultravox);
            UltravoxClient::new(UltravoxConfig { base_url, api_key }, &http)
        })
        .await;
        let anthropic =
            client_from_keychain(keychain, ["anthropic_api_key"], "Anthropic (pipeline, gather)", |[api_key]| {
                let base_url = provider_api::base_url(Provider::Anthropic);
                AnthropicClient::new(AnthropicConfig { base_url, api_key }, &http)
            })
            .await;
        let deepgram = client_from_keychain(keychain, ["deepgram_api_key"], "Deepgram (pipeline)", |[api_key]| {
            let base_url = provider_api::base_url(Provider::Deepgram);
            DeepgramClient::new(DeepgramConfig { base_url, api_key }, &http)
        })
        .await;
        let tts = client_from_keychain(keychain, ["elevenlabs_api_key"], "ElevenLabs TTS (pipeline)", |[api_key]| {
            let base_url = provider_api::base_url(Provider::ElevenLabs);
            ElevenLabsTtsClient::new(ElevenLabsConfig { base_url, api_key }, &http)
        })
        .await;
        let pipeline = match (deepgram, anthropic.clone(), tts) {
            (Some(deepgram), Some(anthropic), Some(tts)) => Some(PipelineClients { deepgram, anthropic, tts }),
            _ => None,
        };
        Some(Self { twilio, ultravox, pipeline, anthropic })
    }
}

/// Registers the backends Twilio carries whose clients are set (Ultravox, the pipeline,
/// speech-gather), all placing calls with one Twilio dialer, when a calling number is set;
/// returns what the listener serves for them.
async fn register_twilio_carried(
    engine: &mut Engine,
    store: &Arc<Store>,
    live: &LiveCalls,
    clients: TwilioCarriedClients,
    backends: &mut Vec<BackendKind>,
) -> Option<TwilioCarried> {
    let from_number = match twilio_from_number(store) {
        Ok(Some(from_number)) => from_number,
        Ok(None) => {
            tracing::info!("no Twilio calling number is set; the backends Twilio carries are off");
            return None;
        }
        Err(err) => {
            tracing::warn!(error = %err, "the Twilio calling number could not be read");
            return None;
        }
    };
    let (public_base_url, _) = listener::public_url(store, listener::port(store)).await;
    let settings = TwilioDialerSettings {
        from_number,
        public_base_url: public_base_url.clone(),
        reconcile: ReconcileSettings::default(),
    };
    // The dialer leaves pipeline calls that have their media stream to their session.
    let sessions = PipelineSessions::default();
    let dialer =
        TwilioDialer::new(clients.twilio, Arc::clone(store), live.clone(), settings).with_pipeline(sessions.clone());
    let mut carried = TwilioCarried { dialer: dialer.clone(), ultravox: None, pipeline: None, gather: None };
    if let Some(client) = clients.ultravox {
        let backend = UltravoxBackend::new(client, dialer.clone(), Arc::clone(store), ReconcileSettings::default());
        engine.register_backend(Arc::new(backend.clone()));
        backends.push(BackendKind::Ultravox);
        tracing::info!("the Ultravox backend is available, bridged through Twilio");
        carried.ultravox = Some(backend);
    }
    if let Some(pipeline) = clients.pipeline {
        engine.register_backend(Arc::new(PipelineBackend::new(sessions.clone(), pipeline, dialer.clone())));
        backends.push(BackendKind::Pipeline);
        tracing::info!("the self-hosted pipeline backend is available over Twilio");
        carried.pipeline = Some(sessions);
    }
    if let Some(anthropic) = clients.anthropic {
        let reports = CallReports::new(Arc::clone(store), engine.bus().clone(), live.clone(), engine.recordings());
        let calls = GatherCalls::new(Arc::clone(store), reports, anthropic, GatherSettings::new(&public_base_url));
        engine.register_backend(Arc::new(GatherBackend::new(calls.clone(), dialer)));
        backends.push(BackendKind::Gather);
        tracing::info!("the speech-gather backend is available over Twilio");
        carried.gather = Some(calls);
    }
    Some(carried)
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
