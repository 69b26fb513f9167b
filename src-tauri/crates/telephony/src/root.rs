//! The composition root: the one place the engine is put together with every backend, the
//! webhook listener with every route, the reconcilers, the pacing watch and recording retention,
//! and the one place it is stopped. The console, every command that runs calls, `serve` and the
//! tests start Switchboard through [`Switchboard::start`], so all run the same engine.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::BackendKind;
use switchboard_engine::history::{Recordings, apply_retention, retention_days};
use switchboard_engine::nodes::NodeSettings;
use switchboard_engine::rehearsal::{CalleeFactory, Rehearser};
use switchboard_engine::{
    CallBackend, CallReports, Engine, EngineError, EngineSettings, LiveAudio, LiveCalls, blocking, now,
};
use switchboard_store::Store;
use switchboard_voice::{PACING_WATCH_EVERY, PipelineSessions, watch_pacing};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ProviderClients;
use crate::backends::elevenlabs::ElevenLabsBackend;
use crate::backends::pipeline::PipelineBackend;
use crate::backends::twilio::TwilioDialer;
use crate::backends::ultravox::UltravoxBackend;
use crate::backends::vapi::VapiBackend;
use crate::backends::{CallPlacing, ReconcileSettings};
use crate::gather::{GatherBackend, GatherCalls, GatherSettings, TextRehearser};
use crate::listener::{
    ListenerSettings, ListenerState, WebhookSecrets, replay_inbox, serve, spawn_inbox_processor_until,
};
use crate::model_callee::model_callees;
use crate::model_judge::ModelJudge;
use crate::rehearsal::{Polling, ProviderRehearser};

/// How often recording retention is applied.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// How often a stop looks whether the campaign runners and calls have ended.
const DRAIN_CHECK: Duration = Duration::from_millis(100);

/// Builds the simulator backend, given the engine's live audio (for listening in).
pub type SimulatorBackend = Box<dyn FnOnce(&LiveAudio) -> Arc<dyn CallBackend> + Send>;

/// What Switchboard is started with.
pub struct Parts {
    /// The profile's database, opened (and seeded) by the caller.
    pub store: Arc<Store>,
    /// Where recordings are kept; `None` keeps none.
    pub recordings: Option<PathBuf>,
    /// The provider clients in force (the caller swaps in new ones when keys change).
    pub clients: ProviderClients,
    /// The simulated carrier (a product backend of its own crate, which telephony does not know).
    pub simulator: SimulatorBackend,
    /// The webhook listener; `None` runs none (a command line run on the simulator only: no
    /// provider calls back).
    pub listener: Option<ListenerPlan>,
    /// How the reconcilers look for calls whose report never came.
    pub reconcile: ReconcileSettings,
    /// Whether to restart the runners of the campaigns a previous run left unfinished (the
    /// processes that run on: the console and `serve`).
    pub resume_campaigns: bool,
    /// Places every call on this backend instead of its agent's (`--backend`).
    pub backend_override: Option<BackendKind>,
    /// How agents are rehearsed.
    pub rehearsal: RehearsalParts,
    /// The most campaign calls on the line at once (`None`: the engine's default); a node at
    /// its limit takes no new target.
    pub max_campaign_calls: Option<usize>,
    /// How this process keeps its place among the nodes sharing a Postgres database.
    pub node: NodeSettings,
}

/// The rehearsal modes of crates telephony does not know (the simulator's), and the scripted
/// scenario callees for the text and provider modes, which are registered here (the text mode's
/// callees are played by the model when it can).
pub struct RehearsalParts {
    pub rehearsers: Vec<Arc<dyn Rehearser>>,
    pub callees: CalleeFactory,
}

/// Where the listener listens, and how.
pub struct ListenerPlan {
    /// The port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// Its limits and timeouts (its public URL is the clients', whatever this one says).
    pub settings: ListenerSettings,
}

/// Switchboard running: the engine with every backend, and what runs beside it. Dropped without
/// [`Switchboard::stop`], what it started runs on until the Tokio runtime ends.
pub struct Switchboard {
    pub engine: Arc<Engine>,
    /// The provider clients in force, shared with the backends and the listener.
    pub clients: ProviderClients,
    /// The pipeline's calls waiting for their media stream, and the listen-in forks of hosted
    /// calls whose monitor streams the listener expects.
    pub pipeline: PipelineSessions,
    /// Where the listener listens, or why it could not (a port in use is not fatal); `None`
    /// when no listener was asked for.
    pub listener: Option<Result<SocketAddr, String>>,
    /// The listener's accept loop.
    server: Option<JoinHandle<io::Result<()>>>,
    /// The inbox processor, and the way to tell it to stop.
    inbox: Option<(watch::Sender<bool>, JoinHandle<()>)>,
    /// Reconcilers, the pacing watch and retention: periodic tasks, stopped between passes.
    periodic: Vec<JoinHandle<()>>,
    /// Becomes true when another node declares this one dead (on a shared database): it has
    /// stopped taking work, and its process should stop.
    pub fenced: watch::Receiver<bool>,
}

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Whether every campaign runner and every call this process placed had ended; when not
    /// (the drain time ran out, or the stop was forced), the calls left are closed as lost at
    /// the next start.
    pub drained: bool,
}

impl Switchboard {
    /// Starts Switchboard over `parts.store`: registers every backend (each available while its
    /// keys are set), deletes recordings a crash left unfinished, closes the calls a previous
    /// run left open, starts the reconcilers, the listener (replaying its inbox first), the
    /// pacing watch and retention, and resumes unfinished campaigns when asked. Call it holding
    /// the profile, inside a Tokio runtime.
    pub async fn start(parts: Parts) -> Result<Switchboard, EngineError> {
        let Parts {
            store,
            recordings,
            clients,
            simulator,
            listener,
            reconcile,
            resume_campaigns,
            backend_override,
            rehearsal,
            max_campaign_calls,
            node,
        } = parts;
        let mut settings = EngineSettings { recordings_dir: recordings, backend_override, ..EngineSettings::default() };
        if let Some(max) = max_campaign_calls {
            settings.max_campaign_calls = max;
        }
        let mut engine = Engine::new(Arc::clone(&store), settings);
        engine.register_backend(simulator(engine.live_audio()));
        for rehearser in rehearsal.rehearsers {
            engine.register_rehearser(rehearser);
        }
        let at_provider = ProviderRehearser::new(clients.clone(), Arc::clone(&rehearsal.callees), Polling::default());
        engine.register_rehearser(Arc::new(at_provider));
        let callees = model_callees(clients.clone(), rehearsal.callees);
        let text = TextRehearser::new(clients.clone(), callees, GatherSettings::default());
        engine.register_rehearser(Arc::new(text));
        engine.register_judge(Arc::new(ModelJudge::new(clients.clone())));
        let live = LiveCalls::default();
        let hosted = Hosted::register(&mut engine, &store, &live, &clients, reconcile);
        remove_unfinished_recordings(engine.recordings()).await;
        // On a shared database other live nodes run the calls found open: only a dead node's
        // are closed (by the registry); a profile's own database has no other live process.
        let shared = store.is_shared();
        if shared {
            engine.register_node(node).await?;
        } else {
            engine.close_abandoned_calls().await?;
        }
        let engine = Arc::new(engine);
        let (fenced_tx, fenced) = watch::channel(false);
        let reports = CallReports::new(Arc::clone(&store), engine.bus().clone(), live.clone(), engine.recordings());
        let mut periodic = hosted.spawn_reconcilers(&reports);
        let mut switchboard = Switchboard {
            engine: Arc::clone(&engine),
            clients: clients.clone(),
            pipeline: hosted.sessions.clone(),
            listener: None,
            server: None,
            inbox: None,
            periodic: Vec::new(),
            fenced,
        };
        if let Some(plan) = listener {
            switchboard.start_listener(plan, live, hosted).await;
        }
        if resume_campaigns {
            engine.resume_campaigns().await?;
        }
        periodic.push(tokio::spawn(watch_pacing(
            engine.bus().clone(),
            engine.audio_brake().clone(),
            PACING_WATCH_EVERY,
        )));
        periodic.push(spawn_retention(Arc::clone(&engine)));
        periodic.push(engine.spawn_action_requests());
        if shared {
            periodic.push(engine.spawn_node_watch(node, fenced_tx));
        }
        switchboard.periodic = periodic;
        tracing::info!(backends = ?engine.available_backends(), "backends available");
        Ok(switchboard)
    }

    /// Starts the listener as `plan` says, with every route: webhooks are verified, and
    /// `/health` probes, with whatever the shared clients hold at each request; reports go to the
    /// calls' tasks (filed in `live`, shared with the hosted backends); Twilio's callbacks, media
    /// streams and gather requests go to the backends Twilio carries.
    async fn start_listener(&mut self, plan: ListenerPlan, live: LiveCalls, hosted: Hosted) {
        let (engine, port) = (&self.engine, plan.port);
        let public_url = self.clients.current().public_base_url.clone();
        let settings = ListenerSettings { public_base_url: public_url.clone(), ..plan.settings };
        let state =
            ListenerState::new(Arc::clone(engine.store()), engine.bus().clone(), WebhookSecrets::default(), settings)
                .with_clients(self.clients.clone())
                .with_live_calls(live, engine.recordings())
                .with_live_audio(engine.live_audio().clone())
                .with_twilio(hosted.dialer)
                .with_ultravox(hosted.ultravox)
                .with_pipeline(hosted.sessions)
                .with_gather(hosted.gather);
        let state = Arc::new(state);
        if let Err(err) = replay_inbox(&state).await {
            tracing::error!(error = %err, "could not replay the webhook inbox");
        }
        let (stop, stopped) = watch::channel(false);
        // Only `stop` ends the processor: a `Switchboard` dropped without it leaves it running.
        let processor = spawn_inbox_processor_until(Arc::clone(&state), async move {
            let mut stopped = stopped;
            if stopped.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        });
        self.inbox = Some((stop, processor));
        self.listener = Some(match serve(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), state).await {
            Ok((bound, server)) => {
                tracing::info!(%bound, public_url, "webhook listener up");
                self.server = Some(server);
                Ok(bound)
            }
            Err(err) => {
                tracing::warn!(port, error = %err, "the webhook listener could not start");
                Err(format!("cannot listen on 127.0.0.1:{port}: {err}"))
            }
        });
    }

    /// Stops cleanly: campaign runners start no new call and end (their campaigns resume at the
    /// next start); the calls on the line are given up to `drain` to end, with the listener
    /// still taking their webhooks, unless `force` completes first; then the listener stops
    /// accepting webhooks, the inbox processor finishes the row it is on and makes one last
    /// pass, and the periodic tasks stop. A node of a shared database (which reports itself
    /// draining meanwhile) then leaves it: its leases go back, its calls left are closed. Every write is a whole transaction, so nothing is left
    /// half-written whenever the process ends after this.
    pub async fn stop(self, drain: Duration, force: impl Future<Output = ()>) -> Stopped {
        let engine = &self.engine;
        engine.stop_new_calls();
        if engine.busy() {
            tracing::info!(drain_secs = drain.as_secs(), "stopping: waiting for the calls on the line to end");
        }
        let drained = tokio::select! {
            biased;
            () = async { while engine.busy() { tokio::time::sleep(DRAIN_CHECK).await } } => true,
            () = tokio::time::sleep(drain) => false,
            () = force => false,
        };
        if !drained {
            tracing::warn!("stopping with calls on the line; the next start closes them as lost");
        }
        if let Some(server) = self.server {
            server.abort();
            let _ = server.await;
        }
        if let Some((stop, processor)) = self.inbox {
            let _ = stop.send(true);
            if let Err(err) = processor.await {
                tracing::error!(error = %err, "the inbox processor failed while stopping");
            }
        }
        for task in self.periodic {
            task.abort();
            let _ = task.await;
        }
        if engine.store().node().is_some()
            && let Err(err) = engine.leave_node().await
        {
            tracing::error!(error = %err, "could not leave the shared database; another node will end this one");
        }
        tracing::info!(drained, "Switchboard stopped");
        Stopped { drained }
    }
}

/// The backends that place real calls, all registered whatever keys are set: each takes its
/// clients from the shared [`ProviderClients`] per call and is available while they are set.
struct Hosted {
    elevenlabs: ElevenLabsBackend,
    vapi: VapiBackend,
    /// The one dialer of every call Twilio carries (Ultravox, the pipeline, speech-gather).
    dialer: TwilioDialer,
    ultravox: UltravoxBackend,
    /// The pipeline's calls waiting for their media stream.
    sessions: PipelineSessions,
    gather: GatherCalls,
}

impl Hosted {
    fn register(
        engine: &mut Engine,
        store: &Arc<Store>,
        live: &LiveCalls,
        clients: &ProviderClients,
        reconcile: ReconcileSettings,
    ) -> Self {
        let placing = CallPlacing { clients: clients.clone(), store: Arc::clone(store), live: live.clone(), reconcile };
        let elevenlabs = ElevenLabsBackend::with_clients(placing.clone());
        engine.register_backend(Arc::new(elevenlabs.clone()));
        let vapi = VapiBackend::with_clients(placing.clone());
        engine.register_backend(Arc::new(vapi.clone()));
        // The dialer leaves pipeline calls that have their media stream to their session.
        let sessions = PipelineSessions::default();
        let dialer = TwilioDialer::with_clients(placing).with_pipeline(sessions.clone());
        let ultravox = UltravoxBackend::with_clients(clients.clone(), dialer.clone(), Arc::clone(store), reconcile);
        engine.register_backend(Arc::new(ultravox.clone()));
        let pipeline = PipelineBackend::with_clients(sessions.clone(), clients.clone(), dialer.clone());
        engine.register_backend(Arc::new(pipeline));
        let reports = CallReports::new(Arc::clone(store), engine.bus().clone(), live.clone(), engine.recordings());
        let gather = GatherCalls::with_clients(Arc::clone(store), reports, clients.clone(), GatherSettings::default());
        engine.register_backend(Arc::new(GatherBackend::new(gather.clone(), dialer.clone())));
        Self { elevenlabs, vapi, dialer, ultravox, sessions, gather }
    }

    /// Starts every reconciler; each skips its passes while its provider's key is not set.
    fn spawn_reconcilers(&self, reports: &CallReports) -> Vec<JoinHandle<()>> {
        vec![
            self.elevenlabs.spawn_reconciler(reports.clone()),
            self.vapi.spawn_reconciler(reports.clone()),
            self.dialer.spawn_reconciler(reports.clone()),
            self.ultravox.spawn_reconciler(reports.clone()),
        ]
    }
}

/// Deletes the recordings a crash left unfinished (no call is live yet).
async fn remove_unfinished_recordings(recordings: Option<Recordings>) {
    let Some(recordings) = recordings else { return };
    match tokio::task::spawn_blocking(move || recordings.remove_unfinished()).await {
        Ok(Ok(0)) | Err(_) => {}
        Ok(Ok(count)) => tracing::info!(count, "deleted recordings left unfinished by a crash"),
        Ok(Err(err)) => tracing::warn!(error = %err, "could not look for unfinished recordings"),
    }
}

/// Applies the recording retention setting now and every hour after.
fn spawn_retention(engine: Arc<Engine>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let held = Arc::clone(&engine);
            let applied = blocking(move || {
                let (Some(recordings), Some(days)) = (held.recordings(), retention_days(held.store())?) else {
                    return Ok(0);
                };
                apply_retention(held.store(), &recordings, days, now())
            })
            .await;
            if let Err(err) = applied {
                tracing::warn!(error = %err, "could not apply the recording retention");
            }
            tokio::time::sleep(RETENTION_EVERY).await;
        }
    })
}
