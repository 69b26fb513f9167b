//! What the listener runs with: the store and bus, the current provider clients (the webhook
//! secrets as verification keys, the public URL, the provider probe, the clients reports are
//! completed with), its settings, the processor's wake-up and the per-address rate limiter.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_providers::Secret;
use switchboard_store::Store;
use tokio::sync::Notify;

use super::admission::BodiesBeingRead;
use super::health::ProviderProbe;
use super::rate_limit::AddressLimiter;
use super::rejections::Rejections;
use crate::backends::twilio::TwilioDialer;
use crate::backends::ultravox::UltravoxBackend;
use crate::gather::GatherCalls;
use crate::provider_clients::{ProviderClients, ProviderSet};
use switchboard_engine::LiveAudio;
use switchboard_engine::history::Recordings;
use switchboard_engine::{CallReports, EventBus, LiveCalls};
use switchboard_voice::PipelineSessions;

/// The secrets webhooks are verified with, one per provider; a provider without one has its
/// routes answer 503 (they never accept unsigned requests).
#[derive(Debug, Clone, Default)]
pub struct WebhookSecrets {
    /// Twilio signs with the account's auth token (or the API key's secret).
    pub twilio_auth_token: Option<Secret>,
    /// The secret of the shared key a Twilio Webhook Setting signs with instead, if one does.
    pub twilio_shared_key: Option<Secret>,
    pub elevenlabs: Option<Secret>,
    pub ultravox: Option<Secret>,
    pub vapi: Option<Secret>,
}

/// How the listener behaves.
#[derive(Debug, Clone)]
pub struct ListenerSettings {
    /// The URL providers reach the listener at (a tunnel's, or `http://127.0.0.1:<port>`), with
    /// no trailing slash. Twilio signs the full URL it requested, so signatures are checked
    /// against this base plus the request's path and query. A listener given shared
    /// [`ProviderClients`] ([`ListenerState::with_clients`]) takes the URL from them instead.
    pub public_base_url: String,
    /// Larger request bodies are answered 413.
    pub body_limit_bytes: usize,
    /// Requests per second each client address may make, on average.
    pub rate_per_second: NonZeroU32,
    /// Requests a client address may make at once before the average applies.
    pub rate_burst: NonZeroU32,
    /// How long a webhook naming no known call waits for the backend to record the provider's
    /// call id before it is parked as failed.
    pub unknown_call_grace: Duration,
    /// How long a media stream has to send its `start` after the upgrade before it is closed.
    pub media_start_within: Duration,
    /// A request head (a connection's first, or the next on a kept-alive connection, so this is
    /// also how long an idle connection is kept) must arrive within this, or the connection is
    /// closed.
    pub header_timeout: Duration,
    /// A request body must arrive whole within this after its head (else 408).
    pub body_timeout: Duration,
    /// Connections served at once; past it the oldest one not answering a request is closed, or,
    /// when all are, the newcomer.
    pub max_connections: usize,
    /// Connections from one peer that have not yet sent a whole request head; past it the
    /// peer's oldest is closed. (Behind the tunnel, every peer is the tunnel's local agent.)
    pub max_unidentified_per_peer: usize,
    /// Request bodies one client address (the tunnel's `X-Forwarded-For`, else the peer) may be
    /// sending at once; past it 429.
    pub max_bodies_read_per_client: usize,
    /// Refused requests are logged one by one only for the first of each route and reason; the
    /// rest are summed in one line this often.
    pub refusals_summed_every: Duration,
}

impl ListenerSettings {
    /// Defaults, with providers reaching the listener at `public_base_url`.
    pub fn new(public_base_url: &str) -> Self {
        Self {
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            body_limit_bytes: 1024 * 1024,
            rate_per_second: NonZeroU32::new(50).expect("not zero"),
            rate_burst: NonZeroU32::new(200).expect("not zero"),
            unknown_call_grace: Duration::from_secs(120),
            media_start_within: Duration::from_secs(5),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 768,
            max_unidentified_per_peer: 64,
            max_bodies_read_per_client: 32,
            refusals_summed_every: Duration::from_secs(60),
        }
    }

    /// The public base when nothing is in front of the listener: `http://127.0.0.1:<port>`.
    pub fn local_base_url(port: u16) -> String {
        format!("http://127.0.0.1:{port}")
    }
}

/// Everything the listener's routes and its inbox processor share.
pub struct ListenerState {
    pub(super) store: Arc<Store>,
    pub(super) bus: EventBus,
    /// The webhook keys, public URL, probe and report clients in force: read per request.
    pub(super) providers: ProviderClients,
    pub(super) settings: ListenerSettings,
    /// Woken when a webhook is committed to the inbox.
    pub(super) inbox_wakeup: Notify,
    pub(super) limiter: AddressLimiter,
    /// The request bodies being read, per client address.
    pub(super) bodies: BodiesBeingRead,
    /// The minute's refused requests, counted for the log.
    pub(super) rejections: Arc<Rejections>,
    pub(super) started: Instant,
    /// Where the reports webhooks carry are applied (the live calls' tasks, or the store).
    pub(super) reports: CallReports,
    /// Acts on AMD verdicts and recordings of the calls it placed, when Twilio is configured.
    pub(super) twilio: Option<TwilioDialer>,
    /// Confirms and reports the end of Ultravox calls, when that backend is configured.
    pub(super) ultravox: Option<UltravoxBackend>,
    /// The realtime pipeline's calls waiting for their media stream.
    pub(super) pipeline: PipelineSessions,
    /// Answers the voice and gather requests of speech-gather calls, when that backend is on.
    pub(super) gather: Option<GatherCalls>,
    /// Live audio taps: pipeline calls publish to them, monitor forks of hosted calls too.
    pub(super) live_audio: LiveAudio,
}

impl ListenerState {
    /// A listener over `store`, publishing the call changes webhooks cause on `bus`, verifying
    /// webhooks with `secrets` (fixed: see [`ListenerState::with_clients`] for keys that change).
    pub fn new(store: Arc<Store>, bus: EventBus, secrets: WebhookSecrets, settings: ListenerSettings) -> Self {
        let providers = ProviderClients::new(ProviderSet::new(&settings.public_base_url, secrets));
        let limiter = AddressLimiter::new(settings.rate_per_second, settings.rate_burst);
        let reports = CallReports::new(Arc::clone(&store), bus.clone(), LiveCalls::default(), None);
        Self {
            store,
            bus,
            providers,
            settings,
            inbox_wakeup: Notify::new(),
            limiter,
            bodies: BodiesBeingRead::default(),
            rejections: Arc::default(),
            started: Instant::now(),
            reports,
            twilio: None,
            ultravox: None,
            pipeline: PipelineSessions::default(),
            gather: None,
            live_audio: LiveAudio::default(),
        }
    }

    /// Hands webhook reports to the calls' tasks filed in `live` (shared with the backends),
    /// keeping recordings in `recordings`.
    pub fn with_live_calls(mut self, live: LiveCalls, recordings: Option<Recordings>) -> Self {
        self.reports = CallReports::new(Arc::clone(&self.store), self.bus.clone(), live, recordings);
        self
    }

    /// Verifies webhooks, names its public URL, probes providers and fetches recordings with
    /// whatever set `providers` holds at each request (the console's, swapped when a key or
    /// setting is saved), instead of the secrets and URL it was made with.
    pub fn with_clients(mut self, providers: ProviderClients) -> Self {
        self.providers = providers;
        self
    }

    /// Completes reports (fetching their recordings, say) with the clients `change` puts in its
    /// set.
    pub fn with_report_clients(self, change: impl FnOnce(&mut ProviderSet)) -> Self {
        self.providers.update(change);
        self
    }

    /// Answers speech-gather calls' Twilio requests with `calls`.
    pub fn with_gather(mut self, calls: GatherCalls) -> Self {
        self.gather = Some(calls);
        self
    }

    /// Hands media streams to the pipeline calls filed in `sessions` (shared with the backend).
    pub fn with_pipeline(mut self, sessions: PipelineSessions) -> Self {
        self.pipeline = sessions;
        self
    }

    /// Hands AMD verdicts and recordings of Twilio calls to `dialer`.
    pub fn with_twilio(mut self, dialer: TwilioDialer) -> Self {
        self.twilio = Some(dialer);
        self
    }

    /// Reports the end of Ultravox calls with `backend`.
    pub fn with_ultravox(mut self, backend: UltravoxBackend) -> Self {
        self.ultravox = Some(backend);
        self
    }

    /// Publishes live calls' audio (and takes monitor forks) through `audio` (the engine's).
    pub fn with_live_audio(mut self, audio: LiveAudio) -> Self {
        self.live_audio = audio;
        self
    }

    /// Reports provider reachability on `/health` with `probe` (without one, every provider's API
    /// is reported as not configured).
    pub fn with_probe(self, probe: Arc<dyn ProviderProbe>) -> Self {
        self.providers.update(|set| set.probe = probe);
        self
    }
}
