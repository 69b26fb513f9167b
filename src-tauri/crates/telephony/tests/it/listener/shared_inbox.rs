//! The inbox shared by the nodes of one Postgres: any node's listener stores a provider's
//! webhook, the node running the call applies it, the node that adopted a dead node's call
//! applies that call's, and two nodes' processors never both apply one row.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, UnixMillis};
use switchboard_engine::{EngineEvent, EventBus};
use switchboard_store::{NewNode, NodeEnd, Store};
use switchboard_telephony::listener::{ListenerSettings, ListenerState, replay_inbox, spawn_inbox_processor};
use tokio::sync::broadcast;

use super::{CALL_SID, PUBLIC, call_with_provider_id, secrets, send_to, twilio_request, twilio_status};

/// A node: its own store on the shared database, registered, and its listener.
struct Node {
    id: i64,
    store: Arc<Store>,
    state: Arc<ListenerState>,
    events: broadcast::Receiver<Arc<EngineEvent>>,
}

impl Node {
    fn join(url: &str, pid: u32) -> Node {
        let store = Store::open_postgres(url).unwrap();
        let now = UnixMillis(i64::try_from(super::unix_now()).unwrap() * 1_000);
        let id = store.register_node(&NewNode { host: "test-host", pid, max_calls: 10, now }).unwrap();
        let store = Arc::new(store);
        let bus = EventBus::new(64);
        let events = bus.subscribe();
        let state = Arc::new(ListenerState::new(Arc::clone(&store), bus, secrets(), ListenerSettings::new(PUBLIC)));
        Node { id, store, state, events }
    }

    /// The states this node published for calls since the last look.
    fn published_states(&mut self) -> Vec<CallState> {
        let mut states = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            if let EngineEvent::CallUpdated { call } = &*event {
                states.push(call.state);
            }
        }
        states
    }
}

/// A database with the samples, on which nothing runs yet.
fn seeded_database() -> String {
    let url = switchboard_store::testing::postgres_url();
    crate::seed(&Store::open_postgres(&url).unwrap());
    url
}

/// Waits (up to 20 s: a node not woken by the store looks again every few seconds) for `ready`.
async fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_webhook_delivered_to_another_node_is_applied_by_the_node_running_the_call() {
    let url = seeded_database();
    let (mut owner, mut other) = (Node::join(&url, 1), Node::join(&url, 2));
    let call = call_with_provider_id(&owner.store, CALL_SID);
    let processors = [spawn_inbox_processor(Arc::clone(&owner.state)), spawn_inbox_processor(Arc::clone(&other.state))];

    let response =
        send_to(&other.state, twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2))).await;
    assert_eq!(response.status(), 200);
    eventually("the webhook is applied", || other.store.inbox_counts().unwrap().pending == 0).await;
    assert_eq!(other.store.call(call.id).unwrap().unwrap().state, CallState::InProgress);
    let applied = owner.store.webhook(1).unwrap().expect("the stored row");
    assert_eq!((applied.claimed_by, applied.attempts), (Some(owner.id), 1), "{applied:?}");
    assert_eq!(owner.published_states(), [CallState::InProgress], "the node running the call applied it");
    assert_eq!(other.published_states(), [], "the node that took the webhook left it to the call's node");
    for processor in processors {
        processor.abort();
    }
}

#[tokio::test]
async fn a_dead_nodes_call_has_its_webhooks_applied_by_the_node_that_adopted_it() {
    let url = seeded_database();
    let (dead, mut adopter) = (Node::join(&url, 1), Node::join(&url, 2));
    let call = call_with_provider_id(&dead.store, CALL_SID);
    // The first node stops answering; the second ends it and adopts its call (run on at the provider).
    let kept = [call.backend.as_str()];
    let end = NodeEnd { reason: "node died", kept: &kept, adopter: Some(adopter.id), now: UnixMillis(i64::MAX - 1) };
    let ended = adopter.store.reap_nodes(UnixMillis(i64::MAX), &end).unwrap();
    assert_eq!(ended[0].adopted, [call.id]);

    send_to(&adopter.state, twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2))).await;
    let pass = replay_inbox(&adopter.state).await.unwrap();
    assert_eq!((pass.processed, pass.elsewhere), (1, 0), "{pass:?}");
    assert_eq!(adopter.store.call(call.id).unwrap().unwrap().state, CallState::InProgress);
    assert_eq!(adopter.published_states(), [CallState::InProgress]);
    assert_eq!(adopter.store.webhook(1).unwrap().unwrap().claimed_by, Some(adopter.id));
}

#[tokio::test]
async fn two_nodes_processing_the_same_rows_apply_each_once() {
    let url = seeded_database();
    // A call of no node (made before nodes were kept): either node may apply its webhooks.
    let call = call_with_provider_id(&Store::open_postgres(&url).unwrap(), CALL_SID);
    let (a, b) = (Node::join(&url, 1), Node::join(&url, 2));
    let statuses = ["ringing", "in-progress"];
    for sequence in 1..=30 {
        let status = statuses[usize::from(sequence > 1)];
        let via = if sequence % 2 == 0 { &a } else { &b };
        send_to(&via.state, twilio_request("/twilio/status", &twilio_status(CALL_SID, status, sequence))).await;
    }
    let (pass_a, pass_b) = tokio::join!(replay_inbox(&a.state), replay_inbox(&b.state));
    let (pass_a, pass_b) = (pass_a.unwrap(), pass_b.unwrap());
    assert_eq!(pass_a.processed + pass_b.processed, 30, "{pass_a:?} {pass_b:?}");
    assert_eq!(a.store.inbox_counts().unwrap().pending, 0);
    for id in 1..=30 {
        let row = a.store.webhook(id).unwrap().unwrap();
        assert_eq!(row.attempts, 1, "row {id} was applied once: {row:?}");
        assert!(row.claimed_by == Some(a.id) || row.claimed_by == Some(b.id), "{row:?}");
    }
    assert_eq!(a.store.call(call.id).unwrap().unwrap().state, CallState::InProgress);
}
