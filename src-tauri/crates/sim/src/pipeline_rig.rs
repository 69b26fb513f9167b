//! A rig for running realtime pipeline calls against the loopback fakes, for tests and
//! benchmarks: the three provider fakes, the real listener with the pipeline's session
//! registry, and a backend that stands in for Twilio's call placement — it reports ringing,
//! files the session and connects a fake Twilio media stream with the call's id and token,
//! as Twilio would once the callee answers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::BackendKind;
use switchboard_engine::pipeline::{
    CALL_ID_PARAMETER, CallControl, PipelineCall, PipelineClients, PipelineSessions, TOKEN_PARAMETER,
};
use switchboard_engine::server::{ListenerSettings, ListenerState, TWILIO_MEDIA_PATH, WebhookSecrets, serve};
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest, Engine};
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::deepgram::{DeepgramClient, DeepgramConfig};
use switchboard_providers::elevenlabs::ElevenLabsConfig;
use switchboard_providers::elevenlabs_tts::ElevenLabsTtsClient;
use switchboard_providers::{HttpSettings, ProviderError, RetryPolicy, Secret};
use switchboard_store::Store;
use tokio::sync::mpsc;

use crate::fakes::anthropic::{FakeAnthropic, Responder};
use crate::fakes::deepgram::FakeDeepgram;
use crate::fakes::elevenlabs_tts::FakeElevenLabsTts;
use crate::fakes::twilio_media::{CallerStep, FakeMediaStream, MediaStreamSettings};

/// The Twilio auth token the rig's listener verifies media stream upgrades with.
pub const TWILIO_AUTH_TOKEN: &str = "twilio_auth_token_rig";
/// The public URL the rig's listener pretends to be reached at.
pub const PUBLIC_BASE: &str = "https://switchboard.example";
const DEEPGRAM_KEY: &str = "dg_rig_key";
const ANTHROPIC_KEY: &str = "sk-ant-rig";
const ELEVENLABS_KEY: &str = "xi_rig_key";

/// How the rig's calls go.
pub struct RigSettings {
    /// What the model answers.
    pub responder: Responder,
    /// Audio per character the fake TTS speaks.
    pub ms_per_char: u64,
    /// What every caller does.
    pub script: Vec<CallerStep>,
    /// Connect with a wrong token instead of the call's.
    pub wrong_token: bool,
    /// The fake Twilio keeps all audio sent and received (see `MediaStreamRecord`).
    pub keep_audio: bool,
}

/// A call the rig's backend placed: the fake Twilio side, and what the session asked of the
/// backend (hang up, transfer).
pub struct Placed {
    pub stream: Result<FakeMediaStream, String>,
    pub control: mpsc::Receiver<CallControl>,
}

/// The fakes and the listener; calls placed through the engine arrive as [`Placed`].
pub struct PipelineRig {
    pub deepgram: FakeDeepgram,
    pub anthropic: FakeAnthropic,
    pub tts: FakeElevenLabsTts,
    pub sessions: PipelineSessions,
    pub listener: SocketAddr,
    placed: mpsc::UnboundedReceiver<Placed>,
}

impl PipelineRig {
    /// Starts the fakes and a listener over `store`, and registers the rig's backend with
    /// `engine` for agents on the pipeline.
    pub async fn start(engine: &mut Engine, store: Arc<Store>, settings: RigSettings) -> std::io::Result<Self> {
        let deepgram = FakeDeepgram::start(DEEPGRAM_KEY).await?;
        let anthropic = FakeAnthropic::start(ANTHROPIC_KEY, settings.responder).await?;
        let tts = FakeElevenLabsTts::start(ELEVENLABS_KEY, settings.ms_per_char).await?;
        let http = HttpSettings {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                max_attempts: 3,
                initial_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(100),
                max_retry_after: Duration::from_secs(1),
            },
        };
        let clients = clients(&deepgram, &anthropic, &tts, &http).map_err(std::io::Error::other)?;
        let sessions = PipelineSessions::default();
        let secrets =
            WebhookSecrets { twilio_auth_token: Some(Secret::new(TWILIO_AUTH_TOKEN)), ..WebhookSecrets::default() };
        let mut listener_settings = ListenerSettings::new(PUBLIC_BASE);
        listener_settings.rate_burst = std::num::NonZeroU32::new(100_000).expect("not zero");
        listener_settings.rate_per_second = std::num::NonZeroU32::new(100_000).expect("not zero");
        let state = ListenerState::new(store, engine.bus().clone(), secrets, listener_settings)
            .with_pipeline(sessions.clone())
            .with_live_audio(engine.live_audio().clone());
        let (listener, _server) = serve(SocketAddr::from(([127, 0, 0, 1], 0)), Arc::new(state)).await?;
        let (placed_sender, placed) = mpsc::unbounded_channel();
        engine.register_backend(Arc::new(RigBackend {
            sessions: sessions.clone(),
            clients,
            connect_url: format!("ws://{listener}{TWILIO_MEDIA_PATH}"),
            script: settings.script,
            wrong_token: settings.wrong_token,
            keep_audio: settings.keep_audio,
            placed: placed_sender,
        }));
        Ok(Self { deepgram, anthropic, tts, sessions, listener, placed })
    }

    /// The next call placed (waits for it).
    pub async fn next_placed(&mut self) -> Option<Placed> {
        self.placed.recv().await
    }
}

fn clients(
    deepgram: &FakeDeepgram,
    anthropic: &FakeAnthropic,
    tts: &FakeElevenLabsTts,
    http: &HttpSettings,
) -> Result<PipelineClients, ProviderError> {
    Ok(PipelineClients {
        deepgram: DeepgramClient::new(
            DeepgramConfig { base_url: deepgram.base_url().to_owned(), api_key: Secret::new(DEEPGRAM_KEY) },
            http,
        )?,
        anthropic: AnthropicClient::new(
            AnthropicConfig { base_url: anthropic.base_url().to_owned(), api_key: Secret::new(ANTHROPIC_KEY) },
            http,
        )?,
        tts: ElevenLabsTtsClient::new(
            ElevenLabsConfig { base_url: tts.base_url().to_owned(), api_key: Secret::new(ELEVENLABS_KEY) },
            http,
        )?,
    })
}

/// Stands in for the Twilio-placing backend.
struct RigBackend {
    sessions: PipelineSessions,
    clients: PipelineClients,
    connect_url: String,
    script: Vec<CallerStep>,
    wrong_token: bool,
    keep_audio: bool,
    placed: mpsc::UnboundedSender<Placed>,
}

impl CallBackend for RigBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Pipeline
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let (control, control_receiver) = mpsc::channel(4);
        let call = PipelineCall::new(&request, self.clients.clone(), events.clone(), control);
        let token = self.sessions.expect(call);
        let (script, connect_url, wrong_token, keep_audio, placed) =
            (self.script.clone(), self.connect_url.clone(), self.wrong_token, self.keep_audio, self.placed.clone());
        Box::pin(async move {
            let token =
                token.map_err(|error| BackendError { backend: "pipeline rig".into(), message: error.to_string() })?;
            let token = if wrong_token { "0".repeat(token.len()) } else { token };
            let _ringing = events.send(BackendEvent::Ringing).await;
            let parameters = BTreeMap::from([
                (CALL_ID_PARAMETER.to_owned(), request.call_id.to_string()),
                (TOKEN_PARAMETER.to_owned(), token),
            ]);
            let settings = MediaStreamSettings {
                connect_url,
                public_url: format!("{PUBLIC_BASE}{TWILIO_MEDIA_PATH}"),
                auth_token: Secret::new(TWILIO_AUTH_TOKEN),
                parameters,
                keep_audio,
            };
            tokio::spawn(async move {
                let stream = FakeMediaStream::connect(settings, script).await;
                let _placed = placed.send(Placed { stream, control: control_receiver });
            });
            Ok(())
        })
    }
}
