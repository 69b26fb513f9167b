//! What a campaign step reads of a round: the calls that ended on the line, the due targets a
//! page at a time from a start, the next retry, whether the round is settled.

use switchboard_core::{CallState, ContactId, Offer, UnixMillis};
use switchboard_store::{CallEnd, Lease, Reservation, Store};

use crate::TestDb;
use crate::campaigns::{campaign, campaign_call, target};

/// A campaign over the sample vendors, their contacts in contact order.
fn sorted_campaign(store: &Store) -> (i64, Vec<ContactId>) {
    let (id, mut contacts) = campaign(store);
    contacts.sort();
    (id, contacts)
}

fn lease(owner: &str, now: i64) -> Lease<'_> {
    Lease { owner, now: UnixMillis(now), until: UnixMillis(now + 30_000) }
}

fn contacts_of(targets: &[switchboard_store::TargetRow]) -> Vec<ContactId> {
    targets.iter().map(|t| t.contact_id).collect()
}

fn the_calls_that_ended_on_the_line_are_read_but_those_another_live_owner_holds(db: &TestDb) {
    let store = db.open();
    let (id, c) = sorted_campaign(&store);
    let reserve = |contact, owner| store.target_reserve(id, 1, contact, &lease(owner, 1_000), 10).unwrap();
    // Ended with a quote, ended without one, never placed, still ringing, and one of node 2's.
    for contact in &c {
        let owner = if *contact == c[4] { "node 2" } else { "node 1" };
        assert_eq!(reserve(*contact, owner), Reservation::Claimed(1));
    }
    let quoted = campaign_call(&store, id, c[0]);
    store.advance_call(quoted.id, CallState::Completed, Some("quoted"), UnixMillis(2_000)).unwrap();
    let offer = Offer::from_fields(quoted.id, c[0], [("unit_price", "0.41")]).unwrap();
    store.save_offer(&offer).unwrap();
    let busy = campaign_call(&store, id, c[1]);
    store.advance_call(busy.id, CallState::Busy, None, UnixMillis(2_000)).unwrap();
    let ringing = campaign_call(&store, id, c[3]);
    store.advance_call(ringing.id, CallState::Ringing, None, UnixMillis(2_000)).unwrap();
    let theirs = campaign_call(&store, id, c[4]);
    store.advance_call(theirs.id, CallState::NoAnswer, None, UnixMillis(2_000)).unwrap();

    let ended = store.ended_on_the_line(id, 1, "node 1", UnixMillis(3_000)).unwrap();
    let read: Vec<_> = ended.iter().map(|e| (e.target.contact_id, e.call.clone())).collect();
    assert_eq!(
        read,
        vec![
            (c[0], Some(CallEnd { state: CallState::Completed, reason: Some("quoted".into()), quoted: true })),
            (c[1], Some(CallEnd { state: CallState::Busy, reason: None, quoted: false })),
            (c[2], None),
        ]
    );
    assert_eq!(ended[0].target, target(&store, id, c[0]), "the target as stored, to settle by compare-and-swap");
    assert_eq!(store.on_the_line(id, 1).unwrap(), 5, "whoever placed them");
    // Node 2's lease ran out: its ended call is this node's to settle now.
    let late = store.ended_on_the_line(id, 1, "node 1", UnixMillis(31_000)).unwrap();
    assert_eq!(contacts_of(&late.into_iter().map(|e| e.target).collect::<Vec<_>>()), [c[0], c[1], c[2], c[4]]);

    assert!(store.target_finished(&ended[0].target, "done", "quoted").unwrap());
    assert_eq!(store.on_the_line(id, 1).unwrap(), 4);
    assert!(store.ended_on_the_line(id, 2, "node 1", UnixMillis(3_000)).unwrap().is_empty(), "another round");
}

fn due_targets_come_a_page_at_a_time_from_a_start_and_wait_for_their_retry(db: &TestDb) {
    let store = db.open();
    let (id, c) = sorted_campaign(&store);
    let due = |now, from, before, limit| {
        contacts_of(&store.due_targets(id, 1, UnixMillis(now), (from, before), limit).unwrap())
    };
    let first = ContactId(i64::MIN);
    assert_eq!(due(1_000, first, None, 10), c);
    assert_eq!(due(1_000, first, None, 2), c[..2], "no more than asked for");
    assert_eq!(due(1_000, c[2], None, 10), c[2..], "from a start");
    assert_eq!(due(1_000, first, Some(c[2]), 10), c[..2], "and up to it");

    // One on the line, one waiting for its retry until 5,000.
    assert_eq!(store.target_reserve(id, 1, c[1], &lease("node 1", 1_000), 10).unwrap(), Reservation::Claimed(1));
    assert_eq!(store.target_reserve(id, 1, c[3], &lease("node 1", 1_000), 10).unwrap(), Reservation::Claimed(1));
    assert!(store.target_retry(&target(&store, id, c[3]), UnixMillis(5_000), "busy").unwrap());
    assert_eq!(due(1_000, first, None, 10), [c[0], c[2], c[4]]);
    assert_eq!(store.next_retry(id, 1, UnixMillis(1_000)).unwrap(), Some(UnixMillis(5_000)));
    assert_eq!(due(5_000, first, None, 10), [c[0], c[2], c[3], c[4]], "due once its time has come");
    assert_eq!(store.next_retry(id, 1, UnixMillis(5_000)).unwrap(), None);
    assert_eq!(store.next_retry(id, 2, UnixMillis(1_000)).unwrap(), None, "another round");
}

fn a_round_is_settled_once_every_target_is_done_or_skipped(db: &TestDb) {
    let store = db.open();
    let (id, c) = sorted_campaign(&store);
    assert!(!store.round_settled(id, 1).unwrap());
    assert_eq!(store.target_reserve(id, 1, c[0], &lease("node 1", 1_000), 10).unwrap(), Reservation::Claimed(1));
    for contact in &c[1..] {
        assert!(store.target_finished(&target(&store, id, *contact), "skipped", "no phone").unwrap());
    }
    assert!(!store.round_settled(id, 1).unwrap(), "one is on the line");
    assert!(store.target_retry(&target(&store, id, c[0]), UnixMillis(5_000), "busy").unwrap());
    assert!(!store.round_settled(id, 1).unwrap(), "one waits for its retry");
    assert_eq!(store.target_reserve(id, 1, c[0], &lease("node 1", 6_000), 10).unwrap(), Reservation::Claimed(2));
    assert!(store.target_finished(&target(&store, id, c[0]), "done", "quoted").unwrap());
    assert!(store.round_settled(id, 1).unwrap());
}

fn a_nodes_start_is_its_share_of_the_way_through_the_round(db: &TestDb) {
    let store = db.open();
    let (id, c) = sorted_campaign(&store);
    let at = |fraction| store.round_contact_at(id, 1, fraction).unwrap();
    assert_eq!(at(0.0), Some(c[0]));
    assert_eq!(at(0.5), Some(c[2]));
    assert_eq!(at(0.618), Some(c[3]));
    assert_eq!(at(1.0), Some(c[4]), "the last at most");
    assert_eq!(store.round_contact_at(id, 2, 0.5).unwrap(), None, "a round without targets");
}

on_both!(
    the_calls_that_ended_on_the_line_are_read_but_those_another_live_owner_holds,
    due_targets_come_a_page_at_a_time_from_a_start_and_wait_for_their_retry,
    a_round_is_settled_once_every_target_is_done_or_skipped,
    a_nodes_start_is_its_share_of_the_way_through_the_round,
);
