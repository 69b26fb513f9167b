//! Payloads relayed between the processes of one Postgres database: a batch reaches a listener
//! whole and in order, one too big for a notification fails the batch (nothing of it is sent)
//! and the sender goes on; a listener hears its own process too. SQLite relays nothing.

use std::sync::mpsc;
use std::time::Duration;

use switchboard_store::{ListenNotice, MAX_RELAYED_BYTES};

use crate::TestDb;

#[test]
fn a_batch_reaches_every_listener_whole_and_in_order_and_a_too_big_one_not_at_all() {
    let db = TestDb::postgres();
    let (listener, sender) = (db.open(), db.open());
    let (heard, notices) = mpsc::channel();
    let _watch = listener.watch_relayed(move |notice| {
        let _ = heard.send(notice);
    });
    let next = || notices.recv_timeout(Duration::from_secs(30)).expect("a notice");
    assert_eq!(next(), ListenNotice::Listening { resumed: false });

    let mut relay = sender.relay_sender().expect("Postgres relays");
    let batch: Vec<String> = (0..300).map(|n| format!("payload {n}")).collect();
    relay.send(&batch).unwrap();
    let received: Vec<ListenNotice> = (0..300).map(|_| next()).collect();
    assert_eq!(received, batch.iter().cloned().map(ListenNotice::Notified).collect::<Vec<_>>());

    let too_big = vec!["first".to_owned(), "x".repeat(MAX_RELAYED_BYTES + 1)];
    assert!(relay.send(&too_big).is_err(), "Postgres refuses a payload of {} bytes", MAX_RELAYED_BYTES + 1);
    let largest = "y".repeat(MAX_RELAYED_BYTES);
    relay.send(std::slice::from_ref(&largest)).unwrap();
    assert_eq!(next(), ListenNotice::Notified(largest), "nothing of the failed batch came first");

    // The listener's own process is heard too (the engine tells its own events apart).
    let mut own = listener.relay_sender().unwrap();
    own.send(&["mine".to_owned()]).unwrap();
    assert_eq!(next(), ListenNotice::Notified("mine".to_owned()));
}

#[test]
fn sqlite_relays_nothing() {
    let store = TestDb::sqlite().open();
    assert!(store.relay_sender().is_none() && store.watch_relayed(|_| {}).is_none());
}
