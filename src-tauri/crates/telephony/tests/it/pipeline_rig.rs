//! A rig for running realtime pipeline calls against the loopback fakes, for these tests and the
//! pipeline bench: the three provider fakes and the fake Twilio, and Switchboard started as the
//! app starts it (the composition root: the real listener with every route, the pipeline backend
//! placing calls through the Twilio dialer, the reconcilers), its clients pointed at the fakes.
//! The fake Twilio joins each answered call's `<Connect><Stream>` with the scripted callee, as
//! Twilio would, and hands each joined stream to the test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::Engine;
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::deepgram::{DeepgramClient, DeepgramConfig};
use switchboard_providers::elevenlabs::ElevenLabsConfig;
use switchboard_providers::elevenlabs_tts::ElevenLabsTtsClient;
use switchboard_providers::twilio::{TwilioClient, TwilioConfig};
use switchboard_providers::{HttpSettings, RetryPolicy, Secret};
use switchboard_store::Store;
use switchboard_telephony::backends::ReconcileSettings;
use switchboard_telephony::listener::{ListenerSettings, WebhookSecrets};
use switchboard_telephony::root::{ListenerPlan, Parts, RehearsalParts, Switchboard};
use switchboard_telephony::{ProviderClients, ProviderSet};
use switchboard_voice::{PipelineClients, PipelineSessions, TOKEN_PARAMETER};

use switchboard_fakes::anthropic::{FakeAnthropic, Responder};
use switchboard_fakes::deepgram::FakeDeepgram;
use switchboard_fakes::elevenlabs_tts::FakeElevenLabsTts;
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings, JoinedStream, StreamCallee};
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_sim::rehearsal::SimRehearser;
use switchboard_sim::{Cast, SimSettings, Simulator};

const ACCOUNT: &str = "AC000000000000000000000000000000rig";
/// The Twilio auth token the rig's listener verifies media stream upgrades with.
pub const TWILIO_AUTH_TOKEN: &str = "twilio_auth_token_rig";
const FROM: &str = "+13125550000";
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

/// The fakes and Switchboard; the streams of calls placed through its engine arrive as
/// [`JoinedStream`]s.
pub struct PipelineRig {
    /// Shared, so a conversing callee can script what it says next and read what the agent said.
    pub deepgram: Arc<FakeDeepgram>,
    pub anthropic: FakeAnthropic,
    pub tts: Arc<FakeElevenLabsTts>,
    pub twilio: Arc<FakeTwilio>,
    /// Switchboard over the test's store, as the app starts it.
    pub switchboard: Switchboard,
}

impl PipelineRig {
    /// Starts the fakes and Switchboard over `store`, keeping recordings in `recordings`.
    pub async fn start(store: Arc<Store>, recordings: Option<PathBuf>, settings: RigSettings) -> std::io::Result<Self> {
        Self::start_reconciling(store, recordings, settings, ReconcileSettings::default()).await
    }

    /// As [`PipelineRig::start`], the reconcilers reconciling as `reconcile` says.
    pub async fn start_reconciling(
        store: Arc<Store>,
        recordings: Option<PathBuf>,
        settings: RigSettings,
        reconcile: ReconcileSettings,
    ) -> std::io::Result<Self> {
        let deepgram = Arc::new(FakeDeepgram::start(DEEPGRAM_KEY).await?);
        let anthropic = FakeAnthropic::start(ANTHROPIC_KEY, settings.responder).await?;
        let tts = Arc::new(FakeElevenLabsTts::start(ELEVENLABS_KEY, settings.ms_per_char).await?);
        let sim = SimSettings { cast: Cast::Cooperative, ..SimSettings::default() };
        let twilio = Arc::new(
            FakeTwilio::start(FakeTwilioSettings {
                account_sid: ACCOUNT.into(),
                auth_token: Secret::new(TWILIO_AUTH_TOKEN),
                ring_time: Duration::from_millis(10),
                sim,
                machines: Vec::new(),
            })
            .await?,
        );
        // A forged stream presents a token of the right length that is not the call's.
        let forged = if settings.wrong_token {
            std::collections::BTreeMap::from([(TOKEN_PARAMETER.to_owned(), "0".repeat(64))])
        } else {
            std::collections::BTreeMap::new()
        };
        twilio.stream_callee(StreamCallee {
            script: settings.script,
            keep_audio: settings.keep_audio,
            forged,
            converser: None,
        });
        let endpoints = ProviderEndpoints {
            twilio: twilio.config(),
            deepgram: DeepgramConfig { base_url: deepgram.base_url().to_owned(), api_key: Secret::new(DEEPGRAM_KEY) },
            anthropic: AnthropicConfig {
                base_url: anthropic.base_url().to_owned(),
                api_key: Secret::new(ANTHROPIC_KEY),
            },
            tts: ElevenLabsConfig { base_url: tts.base_url().to_owned(), api_key: Secret::new(ELEVENLABS_KEY) },
        };
        let (switchboard, bound) = start_switchboard(store, recordings, endpoints, reconcile, sim).await?;
        twilio.tunnel(PUBLIC_BASE, &format!("http://{bound}"));
        Ok(Self { deepgram, anthropic, tts, twilio, switchboard })
    }

    /// The engine placing the calls.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.switchboard.engine
    }

    /// The pipeline's calls waiting for their media stream.
    pub fn sessions(&self) -> &PipelineSessions {
        &self.switchboard.pipeline
    }

    /// The stream of the next call placed and answered (waits up to 10 s for it).
    pub async fn next_placed(&mut self) -> Option<JoinedStream> {
        self.twilio.next_stream().await
    }
}

/// Where Switchboard reaches each provider (the fakes, in this process or another), and as whom.
pub struct ProviderEndpoints {
    pub twilio: TwilioConfig,
    pub deepgram: DeepgramConfig,
    pub anthropic: AnthropicConfig,
    pub tts: ElevenLabsConfig,
}

/// Switchboard over `store` as the app starts it, its clients pointed at `endpoints` (its
/// listener verifying Twilio's signatures with the Twilio auth token there) and its simulator
/// playing `sim`; and the address its listener is bound to, under [`PUBLIC_BASE`].
pub async fn start_switchboard(
    store: Arc<Store>,
    recordings: Option<PathBuf>,
    endpoints: ProviderEndpoints,
    reconcile: ReconcileSettings,
    sim: SimSettings,
) -> std::io::Result<(Switchboard, SocketAddr)> {
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
    let ProviderEndpoints { twilio, deepgram, anthropic, tts } = endpoints;
    let secrets = WebhookSecrets { twilio_auth_token: Some(twilio.auth_token.clone()), ..WebhookSecrets::default() };
    let mut set = ProviderSet::new(PUBLIC_BASE, secrets);
    set.twilio = Some(TwilioClient::new(twilio, &http).map_err(std::io::Error::other)?);
    set.from_number = Some(FROM.into());
    let clients = PipelineClients {
        deepgram: DeepgramClient::new(deepgram, &http).map_err(std::io::Error::other)?,
        anthropic: AnthropicClient::new(anthropic, &http).map_err(std::io::Error::other)?,
        tts: ElevenLabsTtsClient::new(tts, &http).map_err(std::io::Error::other)?,
    };
    set.pipeline = Some(clients);
    let mut listener = ListenerSettings::new(PUBLIC_BASE);
    listener.rate_burst = std::num::NonZeroU32::new(100_000).expect("not zero");
    listener.rate_per_second = std::num::NonZeroU32::new(100_000).expect("not zero");
    let switchboard = Switchboard::start(Parts {
        store,
        recordings,
        clients: ProviderClients::new(set),
        simulator: Box::new(move |audio| Arc::new(Simulator::new(sim).with_live_audio(audio.clone()))),
        listener: Some(ListenerPlan { port: 0, settings: listener }),
        reconcile,
        resume_campaigns: false,
        backend_override: None,
        rehearsal: RehearsalParts {
            rehearsers: vec![Arc::new(SimRehearser)],
            callees: switchboard_sim::rehearsal::scripted_callees(),
        },
        max_campaign_calls: None,
        node: Default::default(),
    })
    .await
    .map_err(std::io::Error::other)?;
    let bound = match &switchboard.listener {
        Some(Ok(bound)) => *bound,
        Some(Err(reason)) => return Err(std::io::Error::other(reason.clone())),
        None => return Err(std::io::Error::other("no listener")),
    };
    Ok((switchboard, bound))
}
