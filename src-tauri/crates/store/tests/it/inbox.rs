//! The webhook inbox: duplicates recognised at insert, pending rows in order, processed and
//! failed rows leave the queue, rows survive reopening; calls found by their provider id.

use switchboard_core::UnixMillis;
use switchboard_store::{InboxCounts, InboxInsert, NewNode, NewWebhook, NodeEnd, Store};

use crate::calls::first_call;
use crate::{TestDb, seeded};

fn webhook<'a>(event_key: &'a str, body: &'a [u8]) -> NewWebhook<'a> {
    NewWebhook {
        provider: "twilio",
        route: "twilio-status",
        event_key,
        received_at: UnixMillis(1_000),
        request_id: Some("req-1"),
        content_type: Some("application/x-www-form-urlencoded"),
        body,
    }
}

fn a_redelivered_event_is_a_duplicate_and_writes_nothing(db: &TestDb) {
    let store = db.open();
    let InboxInsert::Inserted(id) = store.insert_webhook(&webhook("CA1/ringing/1", b"CallSid=CA1")).unwrap() else {
        panic!("the first delivery is new")
    };
    assert_eq!(store.insert_webhook(&webhook("CA1/ringing/1", b"CallSid=CA1&x=2")).unwrap(), InboxInsert::Duplicate);
    // The same key from another provider is another event.
    let other = NewWebhook { provider: "vapi", ..webhook("CA1/ringing/1", b"{}") };
    assert!(matches!(store.insert_webhook(&other).unwrap(), InboxInsert::Inserted(_)));
    assert_eq!(store.inbox_counts().unwrap(), InboxCounts { total: 2, pending: 2, failed: 0 });
    let row = store.webhook(id).unwrap().unwrap();
    assert_eq!((row.body.as_slice(), row.request_id.as_deref()), (b"CallSid=CA1".as_slice(), Some("req-1")));
    assert_eq!((row.processed_at, row.attempts, row.last_error), (None, 0, None));
}

fn processed_and_failed_rows_leave_the_queue(db: &TestDb) {
    let store = db.open();
    let ids: Vec<i64> = ["a", "b", "c"]
        .iter()
        .map(|key| match store.insert_webhook(&webhook(key, b"x")).unwrap() {
            InboxInsert::Inserted(id) => id,
            InboxInsert::Duplicate => panic!("{key} is new"),
        })
        .collect();
    let pending =
        |after, limit| store.unprocessed_webhooks(after, limit).unwrap().iter().map(|row| row.id).collect::<Vec<_>>();
    assert_eq!(pending(0, 10), ids);
    assert_eq!(pending(0, 2), ids[..2]);
    assert_eq!(pending(ids[0], 10), ids[1..]);

    store.mark_webhook_processed(ids[0], UnixMillis(2_000)).unwrap();
    store.mark_webhook_failed(ids[1], "Twilio status callback could not be read: missing field").unwrap();
    assert_eq!(pending(0, 10), [ids[2]]);
    let processed = store.webhook(ids[0]).unwrap().unwrap();
    assert_eq!((processed.processed_at, processed.attempts), (Some(UnixMillis(2_000)), 1));
    let failed = store.webhook(ids[1]).unwrap().unwrap();
    assert_eq!((failed.processed_at, failed.attempts), (None, 1));
    assert!(failed.last_error.unwrap().contains("missing field"));
    assert_eq!(store.inbox_counts().unwrap(), InboxCounts { total: 3, pending: 1, failed: 1 });
}

fn an_inserted_row_is_in_the_file_when_insert_returns(db: &TestDb) {
    let store = db.open();
    store.insert_webhook(&webhook("k", b"body")).unwrap();
    // Another connection (as after a crash and restart) sees it while the first is still open.
    let reopened = db.open();
    assert_eq!(reopened.unprocessed_webhooks(0, 10).unwrap().len(), 1);
    assert_eq!(reopened.insert_webhook(&webhook("k", b"body")).unwrap(), InboxInsert::Duplicate);
}

fn a_call_is_found_by_its_provider_id(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let call = first_call(&store);
    assert_eq!(store.call_by_provider_id("CA42").unwrap(), None);
    store.set_provider_call_id(call.id, "CA42").unwrap();
    assert_eq!(store.call_by_provider_id("CA42").unwrap(), Some(call));
    assert_eq!(store.call_by_provider_id("CA4").unwrap(), None);
}

fn register(store: &Store, pid: u32) -> i64 {
    store.register_node(&NewNode { host: "test-host", pid, max_calls: 10, now: UnixMillis(1_000) }).unwrap()
}

fn a_row_is_claimed_by_one_node_until_that_node_ends(db: &TestDb) {
    let (a, b, lone) = (db.open(), db.open(), db.open());
    let Ok(InboxInsert::Inserted(id)) = b.insert_webhook(&webhook("k", b"body")) else { panic!("stored") };
    assert!(lone.claim_webhook(id).unwrap(), "a store of no node applies every row");
    let (node_a, node_b) = (register(&a, 1), register(&b, 2));
    assert!(a.claim_webhook(id).unwrap());
    assert!(a.claim_webhook(id).unwrap(), "a node's own claim holds for it");
    assert!(!b.claim_webhook(id).unwrap(), "another live node's claim is refused");
    assert_eq!(b.webhook(id).unwrap().unwrap().claimed_by, Some(node_a));

    // A dies before it marks the row: once it has ended, B takes the row over.
    let end = NodeEnd { reason: "node died", kept: &[], adopter: Some(node_b), now: UnixMillis(30_000) };
    assert_eq!(b.reap_nodes(UnixMillis(20_000), &end).unwrap().len(), 1);
    assert!(!a.claim_webhook(id).unwrap(), "an ended node claims nothing");
    assert!(b.claim_webhook(id).unwrap());
    b.mark_webhook_processed(id, UnixMillis(31_000)).unwrap();
    assert!(!b.claim_webhook(id).unwrap(), "a processed row is claimed no more");
}

fn the_webhooks_of_a_call_are_applied_by_the_live_node_that_runs_it(db: &TestDb) {
    let (a, b) = (db.open(), db.open());
    seeded(&a);
    let new_call = |store: &Store| first_call(store).id;
    let before_nodes = new_call(&a);
    let (node_a, node_b) = (register(&a, 1), register(&b, 2));
    let of_a = new_call(&a);
    assert_eq!(b.webhook_applier(of_a).unwrap(), Some(node_a));
    assert_eq!(a.webhook_applier(before_nodes).unwrap(), None, "a call of no node is anyone's");
    let end = NodeEnd { reason: "node died", kept: &[], adopter: Some(node_b), now: UnixMillis(30_000) };
    b.reap_nodes(UnixMillis(20_000), &end).unwrap();
    assert_eq!(b.webhook_applier(of_a).unwrap(), None, "a dead node's closed call is anyone's");
}

#[test]
fn a_webhook_stored_by_one_node_wakes_the_others_on_postgres() {
    let db = TestDb::postgres();
    let (watcher, other) = (db.open(), db.open());
    let (woken, wakes) = std::sync::mpsc::channel();
    let watch = watcher.watch_new_webhooks(move || {
        let _ = woken.send(());
    });
    assert!(watch.is_some(), "Postgres announces stored webhooks");
    // Once listening, it wakes once (for what was stored before); then for each new row.
    wakes.recv_timeout(std::time::Duration::from_secs(30)).expect("listening");
    other.insert_webhook(&webhook("k", b"body")).unwrap();
    wakes.recv_timeout(std::time::Duration::from_secs(30)).expect("woken by another node's row");
    assert!(TestDb::sqlite().open().watch_new_webhooks(|| {}).is_none(), "on SQLite only this process stores rows");
}

on_both!(
    a_row_is_claimed_by_one_node_until_that_node_ends,
    the_webhooks_of_a_call_are_applied_by_the_live_node_that_runs_it,
    a_redelivered_event_is_a_duplicate_and_writes_nothing,
    processed_and_failed_rows_leave_the_queue,
    an_inserted_row_is_in_the_file_when_insert_returns,
    a_call_is_found_by_its_provider_id,
);
