//! Two engines, each a node of one Postgres database (the shared test cluster): the events of a
//! call one node runs reach the other node's bus in order and once; an event too big to relay
//! reaches it as a notice to re-read; a node found dead has its calls published as lost, on
//! every node.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallId, CallState, Speaker};
use switchboard_engine::nodes::{NODE_DIED, NodeSettings};
use switchboard_engine::{BackendEvent, Engine, EngineEvent, EngineSettings};
use switchboard_store::Store;
use tokio::sync::{broadcast, watch};

use super::{Script, ScriptedBackend, add_agent, ids, seed, start, until_ended};

/// Two engines over one new database, `b` with `backend`, each registered as a node.
async fn two_nodes(backend: Arc<ScriptedBackend>, settings: NodeSettings) -> (Engine, Engine) {
    let url = switchboard_store::testing::postgres_url();
    let open = || Arc::new(Store::open_postgres(&url).unwrap());
    let (store_a, store_b) = (open(), open());
    seed(&store_a);
    add_agent(&store_a, 60);
    let mut a = Engine::new(store_a, EngineSettings::default());
    a.register_backend(ScriptedBackend::new(Script::Refuse("node a places no call in this test")));
    let mut b = Engine::new(store_b, EngineSettings::default());
    b.register_backend(backend);
    a.register_node(settings).await.unwrap();
    b.register_node(settings).await.unwrap();
    (a, b)
}

/// The events about call `id`, as published.
fn about(events: &[EngineEvent], id: CallId) -> Vec<EngineEvent> {
    events
        .iter()
        .filter(|event| match event {
            EngineEvent::CallUpdated { call } => call.id == id,
            EngineEvent::TranscriptLine { call_id, .. } => *call_id == id,
            _ => false,
        })
        .cloned()
        .collect()
}

/// A probe event: one no call or campaign has.
fn probe(round: u8) -> EngineEvent {
    EngineEvent::CampaignUpdated { campaign_id: -1, status: "probe".into(), round }
}

/// Every event up to and with `probe`.
async fn until(events: &mut broadcast::Receiver<Arc<EngineEvent>>, probe: &EngineEvent) -> Vec<EngineEvent> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap_or_else(|_| panic!("{probe:?} never came after {seen:?}"))
            .unwrap();
        seen.push((*event).clone());
        if *event == *probe {
            return seen;
        }
    }
}

fn line(text: String, offset_ms: u32) -> BackendEvent {
    BackendEvent::Line { speaker: Speaker::Callee, text, offset_ms }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_calls_events_on_one_node_reach_the_others_bus_in_order_and_once() {
    let mut script = vec![BackendEvent::Ringing, BackendEvent::Answered];
    script.extend((0..40).map(|n| line(format!("line {n}"), n * 100)));
    script.push(BackendEvent::Ended { state: CallState::Completed, reason: "done".into() });
    let (a, b) = two_nodes(ScriptedBackend::new(Script::Play(script)), NodeSettings::default()).await;
    let (mut on_a, mut on_b) = (a.bus().subscribe(), b.bus().subscribe());

    let (contact, agent) = ids(&b, "Acme Fasteners");
    let call = start(&b, contact, agent).await.unwrap();
    let mut on_b_seen = until_ended(&mut on_b, call.id).await;
    let published = about(&on_b_seen, call.id);
    let mut on_a_seen = until_ended(&mut on_a, call.id).await;
    assert_eq!(about(&on_a_seen, call.id), published, "node a gets node b's events, in order");
    assert!(!on_a_seen.contains(&EngineEvent::EventsMissed), "{on_a_seen:?}");
    assert_eq!(published.iter().filter(|event| matches!(event, EngineEvent::TranscriptLine { .. })).count(), 40);

    // Once: a node never gets its own events back, nor another's twice (the notifications of
    // all nodes arrive in commit order, so a probe sent after them comes after any copy).
    a.bus().publish(probe(1));
    on_b_seen.extend(until(&mut on_b, &probe(1)).await);
    assert_eq!(about(&on_b_seen, call.id), published, "node b got its own events back");
    b.bus().publish(probe(2));
    on_a_seen.extend(until(&mut on_a, &probe(2)).await);
    assert_eq!(about(&on_a_seen, call.id), published, "node a got an event twice");
    assert_eq!(on_a_seen.iter().filter(|event| **event == probe(1)).count(), 1, "node a got its own probe back");
    let (sent, received) = (b.relay_counts().unwrap(), a.relay_counts().unwrap());
    assert_eq!((sent.dropped, sent.too_big), (0, 0), "{sent:?}");
    assert!(received.received > u64::try_from(published.len()).unwrap(), "{received:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_too_big_to_relay_makes_the_other_node_re_read() {
    let big = "a long line ".repeat(1_000);
    let script = vec![
        BackendEvent::Ringing,
        BackendEvent::Answered,
        line(big.clone(), 0),
        line("after it".into(), 100),
        BackendEvent::Ended { state: CallState::Completed, reason: "done".into() },
    ];
    let (a, b) = two_nodes(ScriptedBackend::new(Script::Play(script)), NodeSettings::default()).await;
    let mut on_a = a.bus().subscribe();

    let (contact, agent) = ids(&b, "Acme Fasteners");
    let call = start(&b, contact, agent).await.unwrap();
    let relayed = until_ended(&mut on_a, call.id).await;
    let missed = relayed.iter().position(|event| *event == EngineEvent::EventsMissed).expect("told to re-read");
    let after = relayed
        .iter()
        .position(|event| matches!(event, EngineEvent::TranscriptLine { line, .. } if line.text == "after it"))
        .expect("the next line is relayed");
    assert!(missed < after, "the notice takes the big line's place: {relayed:?}");
    assert!(!relayed.iter().any(|event| matches!(event, EngineEvent::TranscriptLine { line, .. } if line.text == big)));
    assert_eq!(b.relay_counts().unwrap().too_big, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calls_of_a_node_found_dead_are_published_as_lost_on_every_node() {
    let settings = NodeSettings { heartbeat: Duration::from_millis(100), expiry: Duration::from_millis(3_000) };
    let script = vec![BackendEvent::Ringing, BackendEvent::Answered];
    let (a, b) = two_nodes(ScriptedBackend::new(Script::Play(script)), settings).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (mut on_a, mut on_b) = (a.bus().subscribe(), b.bus().subscribe());
    let (fenced_a, _) = watch::channel(false);
    let (fenced_b, _) = watch::channel(false);
    let a_beats = a.spawn_node_watch(settings, fenced_a);
    let b_beats = b.spawn_node_watch(settings, fenced_b);

    let (contact, agent) = ids(&b, "Acme Fasteners");
    let call = start(&b, contact, agent).await.unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), on_a.recv()).await.expect("relayed").unwrap();
        if matches!(&*event, EngineEvent::CallUpdated { call: seen } if seen.id == call.id && seen.state == CallState::InProgress)
        {
            break;
        }
    }

    // Node b stops beating its heart: node a ends it and closes its call as lost.
    b_beats.abort();
    for events in [&mut on_a, &mut on_b] {
        let seen = until_ended(events, call.id).await;
        let ended = super::last_call(&seen);
        assert_eq!((ended.state, ended.end_reason.as_deref()), (CallState::Lost, Some(NODE_DIED)), "{seen:?}");
    }
    a_beats.abort();
}
