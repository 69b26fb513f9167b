//! Campaign rows: round advancement is a compare-and-swap that succeeds exactly once.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use switchboard_core::{ContactId, UnixMillis};
use switchboard_store::Store;

use crate::seeded;

fn campaign(store: &Store) -> (i64, Vec<ContactId>) {
    seeded(store);
    let contacts: Vec<ContactId> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let id = store.insert_campaign("Bolts", "vendor-quote", "{}", &contacts, UnixMillis(5)).unwrap();
    (id, contacts)
}

#[test]
fn many_completions_at_once_advance_the_round_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    let (id, contacts) = campaign(&store);
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let targets: Vec<(ContactId, BTreeMap<String, String>)> =
                contacts[..2].iter().map(|c| (*c, BTreeMap::from([("best_price".into(), "$0.41".into())]))).collect();
            std::thread::spawn(move || {
                barrier.wait();
                store.advance_round(id, 1, 2, &targets).unwrap()
            })
        })
        .collect();
    let advanced = handles.into_iter().map(|h| h.join().unwrap()).filter(|won| *won).count();
    assert_eq!(advanced, 1);
    assert_eq!(store.campaign(id).unwrap().unwrap().round, 2);
    let round_two = store.campaign_targets(id, 2).unwrap();
    assert_eq!(round_two.len(), 2, "round-2 targets were added once");
    assert_eq!(round_two[0].variables.get("best_price").map(String::as_str), Some("$0.41"));

    // Completing is a compare-and-swap on the round too: a stale round-1 completion loses.
    assert!(!store.complete_campaign(id, 1, "{}", UnixMillis(9)).unwrap());
    assert!(store.complete_campaign(id, 2, "{\"ok\":true}", UnixMillis(9)).unwrap());
    assert!(!store.complete_campaign(id, 2, "{}", UnixMillis(10)).unwrap());
    assert!(!store.advance_round(id, 2, 3, &[]).unwrap(), "a finished campaign never moves");
    let done = store.campaign(id).unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.summary.as_deref()), ("completed", Some("{\"ok\":true}")));
}

#[test]
fn targets_track_attempts_retries_and_outcomes() {
    let store = Store::open_in_memory().unwrap();
    let (id, contacts) = campaign(&store);
    let first = contacts[0];
    assert_eq!(store.campaign_targets(id, 1).unwrap().len(), contacts.len());
    assert_eq!(store.unfinished_campaigns().unwrap().len(), 1);

    let agent = store.list_agents().unwrap()[0].id;
    let call = store
        .insert_call(&switchboard_store::NewCall {
            contact_id: first,
            agent_id: agent,
            backend: switchboard_core::BackendKind::Simulator,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(6),
            campaign: Some((id, 1, 1)),
        })
        .unwrap();
    assert_eq!(store.target_reserve(id, 1, first).unwrap(), 1);
    store.target_call_placed(id, 1, first, call.id).unwrap();
    store.target_retry(id, 1, first, UnixMillis(60_000), "no answer").unwrap();
    assert_eq!(store.target_reserve(id, 1, first).unwrap(), 2);
    store.target_finished(id, 1, first, "done", "quoted $0.45").unwrap();
    let target = store.campaign_targets(id, 1).unwrap().into_iter().find(|t| t.contact_id == first).unwrap();
    assert_eq!((target.status.as_str(), target.attempts, target.outcome.as_deref()), ("done", 2, Some("quoted $0.45")));

    assert!(store.set_campaign_status(id, "paused", UnixMillis(7)).unwrap());
    assert!(store.set_campaign_status(id, "canceled", UnixMillis(8)).unwrap());
    assert!(!store.set_campaign_status(id, "running", UnixMillis(9)).unwrap(), "a canceled campaign stays canceled");
    assert!(store.unfinished_campaigns().unwrap().is_empty());
}
