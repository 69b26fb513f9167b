//! The node registry: a node another finds dead is ended with its calls and leases, and from
//! then on every write it makes about its calls and leases is refused.

use switchboard_core::{BackendKind, CallState, UnixMillis};
use switchboard_store::{Lease, NewCall, NewNode, NodeEnd, Reservation, Store, StoreError, node_lease_owner};

use crate::campaigns::{campaign, campaign_call, target};
use crate::{Cell, TestDb};

fn node(store: &Store, pid: u32, now: i64) -> i64 {
    store.register_node(&NewNode { host: "test-host", pid, max_calls: 10, now: UnixMillis(now) }).unwrap()
}

fn a_dead_node_is_ended_with_its_calls_and_leases_and_fenced_from_writing(db: &TestDb) {
    let (a, b) = (db.open(), db.open());
    let (id, contacts) = campaign(&a);
    let (node_a, node_b) = (node(&a, 1, 1_000), node(&b, 2, 1_000));
    assert_ne!(node_a, node_b);
    let owner = node_lease_owner(node_a);
    let lease = Lease { owner: &owner, now: UnixMillis(1_000), until: UnixMillis(31_000) };
    assert_eq!(a.target_reserve(id, 1, contacts[0], &lease, 10).unwrap(), Reservation::Claimed(1));
    let lost = campaign_call(&a, id, contacts[0]);
    // A call its provider runs on, outside any campaign.
    let hosted = a
        .insert_call(&NewCall {
            contact_id: contacts[1],
            agent_id: a.list_agents().unwrap()[0].id,
            backend: BackendKind::Vapi,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(2),
            campaign: None,
        })
        .unwrap();
    let ran_by = |call: i64| db.rows(&format!("SELECT node_id FROM calls WHERE id = {call}"))[0][0].clone();
    assert_eq!(ran_by(lost.id.0), Cell::Int(node_a), "a call carries the node that runs it");

    // B beats its heart; A's stopped at 1,000. A heartbeat newer than the expiry keeps a node.
    assert!(b.node_heartbeat(0, false, UnixMillis(25_000)).unwrap());
    assert!(b.reap_nodes(UnixMillis(500), &end(&b, 25_000)).unwrap().is_empty(), "A is not late yet");
    let ended = b.reap_nodes(UnixMillis(20_000), &end(&b, 25_000)).unwrap();
    assert_eq!(ended.len(), 1, "only A, never B itself: {ended:?}");
    assert_eq!(
        (ended[0].id, ended[0].lost.clone(), ended[0].adopted.clone()),
        (node_a, vec![lost.id], vec![hosted.id])
    );
    let closed = b.call(lost.id).unwrap().unwrap();
    assert_eq!((closed.state, closed.end_reason.as_deref()), (CallState::Lost, Some("node died")));
    assert_eq!(b.call(hosted.id).unwrap().unwrap().state, CallState::Queued, "left to its provider's report");
    assert_eq!(ran_by(hosted.id.0), Cell::Int(node_b), "adopted by the node that ended A");
    let held = target(&b, id, contacts[0]);
    assert_eq!((held.status.as_str(), held.lease_owner.as_deref()), ("calling", None), "its runner's lease is gone");
    assert!(b.reap_nodes(UnixMillis(20_000), &end(&b, 25_000)).unwrap().is_empty(), "ended once");

    // A, alive after all (a long pause), may write nothing more about calls and leases.
    let fenced = |result: Result<(), StoreError>| {
        assert!(matches!(result, Err(StoreError::Fenced(n)) if n == node_a), "{result:?}");
    };
    assert!(!a.node_heartbeat(0, false, UnixMillis(26_000)).unwrap(), "its heartbeat tells it");
    fenced(a.target_reserve(id, 1, contacts[2], &lease, 10).map(drop));
    fenced(a.renew_target_leases(&lease).map(drop));
    fenced(a.target_finished(&held, "done", "quoted").map(drop));
    fenced(a.advance_call(lost.id, CallState::Completed, Some("done"), UnixMillis(26_000)).map(drop));
    fenced(
        a.end_call(hosted.id, CallState::Completed, "done", UnixMillis(26_000), &Default::default(), None).map(drop),
    );
    fenced(a.insert_call(&NewCall { campaign: None, ..new_call(&a, contacts[2]) }).map(drop));
    fenced(a.advance_round(id, 1, 2, &[]).map(drop));
    fenced(a.complete_campaign(id, 1, "{}", UnixMillis(26_000)).map(drop));
    assert_eq!(target(&b, id, contacts[2]).status, "pending", "nothing A tried was written");
    assert_eq!(b.call(hosted.id).unwrap().unwrap().state, CallState::Queued);
    assert_eq!(b.campaign(id).unwrap().unwrap().round, 1);

    // B leaves: its adopted call passes to no node (the inbox applies its report), and B ends.
    let left = b.leave_node(&NodeEnd { adopter: None, ..end(&b, 30_000) }).unwrap().unwrap();
    assert_eq!((left.id, left.adopted.clone()), (node_b, vec![hosted.id]));
    let unowned = db.rows(&format!("SELECT COUNT(*) FROM calls WHERE id = {} AND node_id IS NULL", hosted.id.0));
    assert_eq!(unowned[0][0], Cell::Int(1), "no node runs it");
    let nodes = b.nodes().unwrap();
    assert!(nodes.iter().all(|n| n.ended_at.is_some()), "{nodes:?}");
    assert_eq!(b.leave_node(&end(&b, 31_000)).unwrap(), None, "left once");
}

fn new_call(store: &Store, contact: switchboard_core::ContactId) -> NewCall {
    NewCall {
        contact_id: contact,
        agent_id: store.list_agents().unwrap()[0].id,
        backend: BackendKind::Simulator,
        phone_e164: "+13125550143".into(),
        created_at: UnixMillis(2),
        campaign: None,
    }
}

fn end(store: &Store, now: i64) -> NodeEnd<'static> {
    NodeEnd { reason: "node died", kept: &["vapi"], adopter: store.node(), now: UnixMillis(now) }
}

on_both!(a_dead_node_is_ended_with_its_calls_and_leases_and_fenced_from_writing);
