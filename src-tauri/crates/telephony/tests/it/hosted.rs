//! Scenario pieces the hosted-backend tests (ElevenLabs, Ultravox, Vapi) share: finding the
//! seeded agents and vendors, a quote call waited out, the realistic-cast campaign, and a call
//! finished by a reconciler after the app restarts.

use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{Agent, AgentConfig, AgentId, BackendKind, CallId, CallState, CallSummary, ContactId};
use switchboard_engine::history::{CallRecord, call_record};
use switchboard_engine::{CallReports, Engine, EngineEvent, EngineSettings, LiveCalls, now};
use switchboard_store::Store;
use switchboard_telephony::backends::{HostedBackend, HostedProvider, ReconcileSettings};
use switchboard_telephony::listener::{ListenerState, serve, spawn_inbox_processor};
use tempfile::TempDir;
use tokio::task::{AbortHandle, JoinHandle};

use super::{call_ended, quote_campaign, run_campaign};

/// How quickly the hosted backends' reconcilers look in these tests: often, soon overdue, and
/// giving up after 2 s.
pub const RECONCILE: ReconcileSettings = ReconcileSettings {
    every: Duration::from_millis(200),
    overdue: Duration::from_millis(300),
    give_up: Duration::from_secs(2),
};

/// A test world over the seeded agents and vendors.
pub trait Seeded {
    fn engine(&self) -> &Engine;

    /// The seeded agent called `name`.
    fn agent(&self, name: &str) -> AgentId {
        agent(self.engine(), name)
    }

    /// The seeded vendor called `name`.
    fn vendor(&self, name: &str) -> ContactId {
        vendor(self.engine(), name)
    }
}

/// A store with the sample vendors and the shipped quote agents moved to `backend` (max duration
/// `max_duration_secs`), `configure` filling in the backend's own settings; returns it with the
/// agents.
pub fn seeded_store(
    backend: BackendKind,
    max_duration_secs: u32,
    configure: impl Fn(AgentId, &mut AgentConfig),
) -> (Arc<Store>, Vec<Agent>) {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let mut agents = store.list_agents().unwrap();
    for agent in &mut agents {
        let config = &mut agent.config;
        config.backend = backend;
        configure(agent.id, config);
        config.max_duration_secs = max_duration_secs;
        store.update_agent(agent.id, config).unwrap();
    }
    (store, agents)
}

/// The engine over `store`, keeping recordings in a new temporary folder (returned with it) and
/// closing calls as lost `lost_call_grace` past their deadline.
pub fn engine_keeping_recordings(store: &Arc<Store>, lost_call_grace: Duration) -> (Engine, TempDir) {
    let recordings = tempfile::tempdir().unwrap();
    let settings = EngineSettings {
        recordings_dir: Some(recordings.path().to_owned()),
        lost_call_grace,
        ..EngineSettings::default()
    };
    (Engine::new(Arc::clone(store), settings), recordings)
}

/// Serves the listener over `state` on 127.0.0.1 and processes its inbox; returns the bound
/// address.
pub async fn serve_listener(state: ListenerState) -> SocketAddr {
    start_listener(state).await.0
}

/// [`serve_listener`], with the listener's and its inbox processor's tasks, for a test to stop
/// them as the app's exit would.
pub async fn start_listener(state: ListenerState) -> (SocketAddr, [AbortHandle; 2]) {
    let state = Arc::new(state);
    let (bound, server) = serve("127.0.0.1:0".parse().unwrap(), Arc::clone(&state)).await.unwrap();
    let processor = spawn_inbox_processor(state);
    (bound, [server.abort_handle(), processor.abort_handle()])
}

/// The seeded agent called `name`.
pub fn agent(engine: &Engine, name: &str) -> AgentId {
    engine.store().list_agents().unwrap().into_iter().find(|a| a.config.name == name).unwrap().id
}

/// The seeded vendor called `name`.
pub fn vendor(engine: &Engine, name: &str) -> ContactId {
    engine.store().list_contacts().unwrap().into_iter().find(|c| c.fields.name == name).unwrap().id
}

/// Calls `vendor` with the quote agent and waits for the call to end; returns it with the
/// transcript lines and offers published for it.
pub async fn quote_call(engine: &Engine, vendor_name: &str) -> (CallId, usize, usize) {
    let mut events = engine.bus().subscribe();
    let call = engine
        .start_quote_call(vendor(engine, vendor_name), agent(engine, "Vendor quote"), &crate::quote_request())
        .await
        .unwrap();
    let (mut lines, mut offers) = (0, 0);
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv()).await.expect("the call ends").unwrap();
        match &*event {
            EngineEvent::TranscriptLine { call_id, .. } if *call_id == call.id => lines += 1,
            EngineEvent::OfferRecorded { offer } if offer.call_id == call.id => offers += 1,
            EngineEvent::CallUpdated { call: c } if c.id == call.id && c.state.is_terminal() => break,
            _ => {}
        }
    }
    (call.id, lines, offers)
}

/// A quote call to Pacific Bolt & Nut over webhooks delivered as `delivery` (duplicated or
/// reordered), applied once: completed, each line published and stored once, one offer, the
/// recording. Returns the call and its record.
pub async fn quote_call_applied_once(engine: &Engine, delivery: impl Debug) -> (CallId, CallRecord) {
    let (call, lines, offers) = quote_call(engine, "Pacific Bolt & Nut").await;
    let record = call_record(engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Completed, "{delivery:?}");
    assert_eq!(record.transcript.len(), lines, "{delivery:?}: every line published once");
    assert_eq!(record.transcript.iter().map(|l| l.seq).collect::<Vec<_>>(), (0..lines as u32).collect::<Vec<_>>());
    assert_eq!(offers, 1, "{delivery:?}");
    assert!(record.recording.is_some(), "{delivery:?}");
    (call, record)
}

/// A quote call to Acme Fasteners whose webhooks are all dropped, finished by the running
/// `reconciler` (stopped once the call ends): completed, with every line published and one offer.
/// Returns the call's record.
pub async fn quote_call_reconciled(engine: &Engine, reconciler: JoinHandle<()>) -> CallRecord {
    let (call, lines, offers) = quote_call(engine, "Acme Fasteners").await;
    reconciler.abort();
    let record = call_record(engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Completed, "{:?}", record.call.end_reason);
    assert!(lines >= 4 && record.transcript.len() == lines);
    assert_eq!(offers, 1);
    record
}

/// The quote is stored and is what was said: four lines at least, in order, and an offer whose
/// price is in the transcript.
pub fn assert_offer_said(record: &CallRecord) {
    assert!(record.transcript.len() >= 4, "{:?}", record.transcript);
    assert!(record.transcript.windows(2).all(|w| w[1].offset_ms > w[0].offset_ms));
    let offer = record.offer.as_ref().expect("an offer");
    let price = format!("${:.2}", offer.unit_price.unwrap());
    assert!(record.transcript.iter().any(|line| line.text.contains(&price)), "the offer is what was said");
}

/// With the backend's call placing set to answer two 429s first, a quote call to Pacific Bolt &
/// Nut waits each out (Retry-After: 1) and is placed once (`placed` counts the placings).
pub async fn assert_rate_limits_waited_out(engine: &Engine, placed: impl Fn() -> usize) {
    let started = std::time::Instant::now();
    let (call, _, offers) = quote_call(engine, "Pacific Bolt & Nut").await;
    assert!(started.elapsed() >= Duration::from_secs(2), "each 429's Retry-After was honoured");
    assert_eq!(engine.store().call(call).unwrap().unwrap().state, CallState::Completed);
    assert_eq!((offers, placed()), (1, 1));
}

/// A quote campaign over 30 written vendors, 10 at a time, waited out: every call has ended with
/// a reason. Returns the store and the calls.
pub async fn realistic_campaign(engine: &Arc<Engine>) -> (Arc<Store>, Vec<CallSummary>) {
    let store = Arc::clone(engine.store());
    let written = store.write_contacts(&switchboard_fakes::fixtures::vendor_writes(30, 415), now()).unwrap();
    let contacts = written.into_iter().map(Result::unwrap).collect();
    let id = run_campaign(engine, quote_campaign("realistic", agent(engine, "Vendor quote"), None, contacts, 10)).await;
    let calls = store.calls_in_campaign(id).unwrap();
    assert_eq!(calls.len(), 30);
    assert!(calls.iter().all(|call| call.state.is_terminal() && call.end_reason.is_some()), "{calls:?}");
    (store, calls)
}

/// Most vendors of [`realistic_campaign`] quoted.
pub fn assert_most_quoted(store: &Store, calls: &[CallSummary]) {
    let quoted = calls.iter().filter(|call| store.offer(call.id).unwrap().is_some()).count();
    assert!(quoted > 10, "most vendors quote: {quoted}");
}

/// Starts a quote call to Acme Fasteners on `engine`, then restarts the app: a new engine over
/// the same database with the backend `restarted` builds over fresh live calls, no call task
/// listening. The backend (named `provider`) carries the call on, and its reconciler, passing
/// until a pass ends a call, finishes it as completed. Returns the call's record.
pub async fn finished_after_restart<P: HostedProvider>(
    engine: &Engine,
    provider: &str,
    restarted: impl FnOnce(LiveCalls) -> HostedBackend<P>,
) -> CallRecord {
    let store = Arc::clone(engine.store());
    let call = engine
        .start_quote_call(vendor(engine, "Acme Fasteners"), agent(engine, "Vendor quote"), &crate::quote_request())
        .await
        .unwrap();

    let live = LiveCalls::default();
    let backend = restarted(live.clone());
    let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    engine.register_backend(Arc::new(backend.clone()));
    assert_eq!(engine.close_abandoned_calls().await.unwrap(), 0, "{provider} carries the call on");
    assert!(!store.call(call.id).unwrap().unwrap().state.is_terminal());

    let reports = CallReports::new(Arc::clone(&store), engine.bus().clone(), live, None);
    let mut ended = 0;
    for _ in 0..50 {
        ended = backend.reconcile(&reports).await.unwrap();
        if ended > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ended, 1);
    let record = call_record(&store, call.id).unwrap();
    assert_eq!(record.call.state, CallState::Completed, "{:?}", record.call.end_reason);
    assert!(record.transcript.len() >= 4 && record.offer.is_some());
    record
}

/// Starts a quote call to Acme Fasteners, gives it the provider reference `key` = `value` no
/// provider knows, and waits for the running reconciler to end it; returns the ended call.
pub async fn ended_with_unknown_ref(engine: &Engine, key: &str, value: &str) -> CallSummary {
    let mut events = engine.bus().subscribe();
    let call = engine
        .start_quote_call(vendor(engine, "Acme Fasteners"), agent(engine, "Vendor quote"), &crate::quote_request())
        .await
        .unwrap();
    engine.store().set_provider_ref(call.id, key, value).unwrap();
    call_ended(&mut events, call.id).await
}
