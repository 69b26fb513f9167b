//! Integration tests of the engine over a real (in-memory) store, with a scripted backend that
//! plays exactly the events each test needs.

mod history;
mod import;
mod lifecycle;
mod refusals;
mod relay;
mod spreadsheets;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_core::{AgentId, BackendKind, CallId, CallState, CallSummary, ContactId, QuoteRequest, UnixMillis};
use switchboard_engine::{
    BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest, Engine, EngineError, EngineEvent, EngineSettings,
};
use switchboard_store::Store;
use tokio::sync::{broadcast, mpsc};

/// What the scripted backend does with a call.
#[derive(Clone)]
pub enum Script {
    /// Sends these events, then keeps the channel open and says nothing more.
    Play(Vec<BackendEvent>),
    /// Sends these events, then drops the channel.
    PlayThenVanish(Vec<BackendEvent>),
    /// Refuses to place the call.
    Refuse(&'static str),
}

/// A backend that replays a script; it keeps the requests it was given.
pub struct ScriptedBackend {
    script: Script,
    pub requests: Mutex<Vec<CallRequest>>,
    held: Mutex<Vec<mpsc::Sender<BackendEvent>>>,
}

impl ScriptedBackend {
    pub fn new(script: Script) -> Arc<Self> {
        Arc::new(Self { script, requests: Mutex::new(Vec::new()), held: Mutex::new(Vec::new()) })
    }
}

impl CallBackend for ScriptedBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Simulator
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        self.requests.lock().unwrap().push(request);
        let (play, keep) = match &self.script {
            Script::Refuse(message) => {
                let err = BackendError { backend: "scripted".into(), message: (*message).into() };
                return Box::pin(async move { Err(err) });
            }
            Script::Play(events) => (events.clone(), true),
            Script::PlayThenVanish(events) => (events.clone(), false),
        };
        if keep {
            self.held.lock().unwrap().push(events.clone());
        }
        Box::pin(async move {
            tokio::spawn(async move {
                for event in play {
                    events.send(event).await.unwrap();
                }
            });
            Ok(())
        })
    }
}

/// An engine over a seeded in-memory store, with `backend` and a short lost-call grace.
pub fn engine_with(backend: Arc<ScriptedBackend>, max_duration_secs: u32) -> Engine {
    let settings = EngineSettings { lost_call_grace: Duration::from_millis(300), ..EngineSettings::default() };
    engine_with_settings(backend, max_duration_secs, settings)
}

/// [`engine_with`], with the engine's settings.
pub fn engine_with_settings(backend: Arc<ScriptedBackend>, max_duration_secs: u32, settings: EngineSettings) -> Engine {
    let store = Store::open_in_memory().unwrap();
    seed(&store);
    add_agent(&store, max_duration_secs);
    let mut engine = Engine::new(Arc::new(store), settings);
    engine.register_backend(backend);
    engine
}

/// Adds the agent [`ids`] finds: the vendor quote, its calls lasting at most `max_duration_secs`.
pub fn add_agent(store: &Store, max_duration_secs: u32) {
    let mut agent = store.list_agents().unwrap().remove(0);
    agent.config.max_duration_secs = max_duration_secs;
    agent.config.name = format!("{} ({max_duration_secs} s)", agent.config.name);
    store.insert_agent(&agent.config, UnixMillis(2)).unwrap();
}

/// Seeds the first shipped preset (the vendor quote) and the sample vendors.
pub fn seed(store: &Store) {
    use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
    assert!(seed_once(store, &PRESETS[..1], &SAMPLE_CONTACTS[..1]).unwrap());
}

/// The ids of the sample vendor called `name` and of the agent made for the test.
pub fn ids(engine: &Engine, name: &str) -> (ContactId, AgentId) {
    let contact = engine.store().list_contacts().unwrap().into_iter().find(|c| c.fields.name == name).unwrap();
    let agent = engine.store().list_agents().unwrap().into_iter().find(|a| a.config.name.ends_with(" s)")).unwrap();
    (contact.id, agent.id)
}

/// Places a single quote call to `contact` with `agent`, asking for 10,000 M8x50 hex bolts.
pub async fn start(engine: &Engine, contact: ContactId, agent: AgentId) -> Result<CallSummary, EngineError> {
    let request = QuoteRequest { item: "M8x50 hex bolts".into(), quantity: 10_000, ..QuoteRequest::default() };
    engine.start_quote_call(contact, agent, &request).await
}

/// Waits for the call to reach a terminal state, returning every event seen on the way.
pub async fn until_ended(events: &mut broadcast::Receiver<Arc<EngineEvent>>, id: CallId) -> Vec<EngineEvent> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the call never ended")
            .expect("the bus closed");
        seen.push((*event).clone());
        if let EngineEvent::CallUpdated { call } = &*event
            && call.id == id
            && call.state.is_terminal()
        {
            return seen;
        }
    }
}

/// The states a call went through, in the order they were published.
pub fn states(events: &[EngineEvent]) -> Vec<CallState> {
    events
        .iter()
        .filter_map(|event| match event {
            EngineEvent::CallUpdated { call } => Some(call.state),
            _ => None,
        })
        .collect()
}

/// The last published view of the call.
pub fn last_call(events: &[EngineEvent]) -> CallSummary {
    events
        .iter()
        .rev()
        .find_map(|event| match event {
            EngineEvent::CallUpdated { call } => Some(call.clone()),
            _ => None,
        })
        .unwrap()
}
