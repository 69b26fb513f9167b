//! The hosted backend and its reconciler over a provider made for the test: every call it
//! places, fetches and reads goes through the provider's [`HostedProvider`] methods.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use switchboard_core::{BackendKind, CallState, Speaker};
use switchboard_providers::{Provider, ProviderError};
use switchboard_store::{NewCall, Store};
use tokio::sync::mpsc;

use super::{HostedBackend, HostedProvider, Taken};
use crate::backends::placing::{CallPlacing, Placed};
use crate::backends::report::FinishedCall;
use crate::backends::webhook::Webhook;
use crate::backends::{ReconcileSettings, TWILIO_CALL_REF};
use crate::{ProviderClients, ProviderSet};
use switchboard_engine::test_support::quote_request;
use switchboard_engine::{BackendError, BackendEvent, CallBackend, CallReports, CallRequest, EventBus, LiveCalls, now};

const DESK_REF: &str = "Desk call";

/// What the desk has of its one call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Running,
    Ended,
    Unknown,
}

/// A provider whose client is a desk answering from `answer` and noting what it was asked.
#[derive(Clone, Default)]
struct Desk(Arc<Mutex<DeskState>>);

#[derive(Default)]
struct DeskState {
    /// The numbers calls were placed to.
    placed: Vec<String>,
    fetched: usize,
    answer: Option<Answer>,
}

#[derive(Serialize)]
struct DeskCall {
    id: String,
    ended: bool,
}

impl Desk {
    fn state(&self) -> std::sync::MutexGuard<'_, DeskState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl HostedProvider for Desk {
    type Client = Desk;
    type Call = DeskCall;

    const KIND: BackendKind = BackendKind::Vapi;
    const NAME: &'static str = "Desk";
    const CALL_REF: &'static str = DESK_REF;
    const CALL_NOUN: &'static str = "ticket";
    const NO_ID: &'static str = "no desk id";
    const NEVER_ENDED: &'static str = "the desk never ended it";
    const WEBHOOK: Webhook = Webhook {
        name: "desk",
        path: "/desk",
        provider: Provider::Vapi,
        label: "the desk",
        verify: |_, _| None,
        event_key: |_| None,
        call_change: |_| Ok(None),
    };

    fn client(&self, _: &ProviderSet) -> Option<Desk> {
        Some(self.clone())
    }

    async fn place(
        &self,
        client: Result<Desk, BackendError>,
        request: &CallRequest,
        _: &mpsc::Sender<BackendEvent>,
    ) -> Result<Taken, BackendError> {
        client?.state().placed.push(request.to.clone());
        let refs = vec![(DESK_REF, "d-1".to_owned()), (TWILIO_CALL_REF, "CA1".to_owned())];
        Ok(Taken::Placed(Placed { provider_call_id: "d-1".into(), refs, ringing: true }))
    }

    async fn fetch_call(client: &Desk, id: &str) -> Result<DeskCall, ProviderError> {
        let mut state = client.state();
        state.fetched += 1;
        match state.answer.unwrap_or(Answer::Running) {
            Answer::Unknown => {
                Err(ProviderError::Status { provider: Provider::Vapi, status: 404, excerpt: String::new() })
            }
            answer => Ok(DeskCall { id: id.to_owned(), ended: answer == Answer::Ended }),
        }
    }

    fn has_ended(call: &DeskCall) -> bool {
        call.ended
    }

    async fn finished_call(_: &Desk, call: &DeskCall, record: String) -> FinishedCall {
        let line = BackendEvent::Line { speaker: Speaker::Callee, text: format!("desk {}", call.id), offset_ms: 0 };
        let ended = BackendEvent::Ended { state: CallState::Completed, reason: "the desk closed it".into() };
        FinishedCall {
            refs: vec![],
            cost: None,
            record: Some(record),
            events: vec![BackendEvent::Answered, line, ended],
        }
    }
}

/// A store holding one open desk call, overdue at once, the backend over it and the request
/// that places it.
fn world() -> (Arc<Store>, Desk, HostedBackend<Desk>, CallRequest) {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let mut request = quote_request(|config| {
        config.backend = BackendKind::Vapi;
        config.max_duration_secs = 0;
    });
    let agent_id = store.insert_agent(&request.agent.config, now()).unwrap();
    let contact_id = store.insert_contact(&request.contact.fields, None, now()).unwrap();
    let new_call = NewCall {
        contact_id,
        agent_id,
        backend: BackendKind::Vapi,
        phone_e164: request.to.clone(),
        created_at: now(),
        campaign: None,
    };
    let call = store.insert_call(&new_call).unwrap();
    (request.call_id, request.agent.id) = (call.id, agent_id);
    let reconcile = ReconcileSettings {
        every: Duration::from_secs(60),
        overdue: Duration::ZERO,
        give_up: Duration::from_secs(600),
    };
    let placing = CallPlacing {
        clients: ProviderClients::default(),
        store: Arc::clone(&store),
        live: LiveCalls::default(),
        reconcile,
    };
    let desk = Desk::default();
    (store, desk.clone(), HostedBackend::hosting(desk, placing), request)
}

fn reports_to(store: &Arc<Store>) -> CallReports {
    CallReports::new(Arc::clone(store), EventBus::new(16), LiveCalls::default(), None)
}

#[tokio::test]
async fn a_call_is_placed_through_the_provider_and_filed_under_its_ids() {
    let (store, desk, backend, request) = world();
    let (events, mut received) = mpsc::channel(4);
    backend.start(request.clone(), events).await.unwrap();
    assert_eq!(desk.state().placed, [request.to.as_str()]);
    assert_eq!(received.recv().await, Some(BackendEvent::Ringing));
    assert_eq!(store.call_by_provider_id("d-1").unwrap().map(|call| call.id), Some(request.call_id));
    let refs = store.provider_facts(request.call_id).unwrap().refs;
    assert_eq!((refs[DESK_REF].as_str(), refs[TWILIO_CALL_REF].as_str()), ("d-1", "CA1"));
    assert_eq!(backend.kind(), BackendKind::Vapi);
    assert!(backend.configured() && backend.keeps_calls_across_restarts());
}

#[tokio::test]
async fn the_reconciler_fetches_through_the_provider_and_applies_what_it_reads() {
    let (store, desk, backend, request) = world();
    store.set_provider_ref(request.call_id, DESK_REF, "d-1").unwrap();
    let reports = reports_to(&store);
    assert_eq!(backend.reconcile(&reports).await.unwrap(), 0, "a running call is left");
    desk.state().answer = Some(Answer::Ended);
    assert_eq!(backend.reconcile(&reports).await.unwrap(), 1);
    assert_eq!(desk.state().fetched, 2);
    let call = store.call(request.call_id).unwrap().unwrap();
    assert_eq!((call.state, call.end_reason.as_deref()), (CallState::Completed, Some("the desk closed it")));
    let transcript = store.transcript(request.call_id).unwrap();
    assert_eq!(transcript.iter().map(|line| line.text.as_str()).collect::<Vec<_>>(), ["desk d-1"]);
    let record = store.provider_facts(request.call_id).unwrap().record.unwrap();
    assert_eq!(record, r#"{"id":"d-1","ended":true}"#);
}

#[tokio::test]
async fn a_call_the_provider_does_not_know_or_never_recorded_is_lost_in_its_words() {
    let (store, desk, backend, request) = world();
    let reports = reports_to(&store);
    assert_eq!(backend.reconcile(&reports).await.unwrap(), 1);
    let call = store.call(request.call_id).unwrap().unwrap();
    assert_eq!((call.state, call.end_reason.as_deref()), (CallState::Lost, Some("no desk id")));
    assert_eq!(desk.state().fetched, 0);

    let (store, desk, backend, request) = world();
    store.set_provider_ref(request.call_id, DESK_REF, "d-9").unwrap();
    desk.state().answer = Some(Answer::Unknown);
    assert_eq!(backend.reconcile(&reports_to(&store)).await.unwrap(), 1);
    let call = store.call(request.call_id).unwrap().unwrap();
    assert_eq!((call.state, call.end_reason.as_deref()), (CallState::Lost, Some("Desk has no ticket d-9")));
}
