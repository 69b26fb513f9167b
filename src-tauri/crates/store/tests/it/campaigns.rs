//! Campaign rows: round advancement is a compare-and-swap that succeeds exactly once.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use switchboard_core::{ContactId, UnixMillis};
use switchboard_store::{Lease, Reservation, Store};

use crate::{TestDb, seeded};

pub(crate) fn campaign(store: &Store) -> (i64, Vec<ContactId>) {
    seeded(store);
    let contacts: Vec<ContactId> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let id = store.insert_campaign("Bolts", "vendor-quote", "{}", &contacts, UnixMillis(5)).unwrap();
    (id, contacts)
}

/// Stores the first attempt's call to `contact` in round 1 of campaign `id`.
pub(crate) fn campaign_call(store: &Store, id: i64, contact: ContactId) -> switchboard_core::CallSummary {
    store
        .insert_call(&switchboard_store::NewCall {
            contact_id: contact,
            agent_id: store.list_agents().unwrap()[0].id,
            backend: switchboard_core::BackendKind::Simulator,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(6),
            campaign: Some((id, 1, 1)),
        })
        .unwrap()
}

fn many_completions_at_once_advance_the_round_exactly_once(db: &TestDb) {
    let store = db.open();
    let (id, contacts) = campaign(&store);
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            // Each on a connection of its own, as nodes are: on Postgres (READ COMMITTED) the
            // compare-and-swap alone must keep the losers from adding the round's targets.
            let (store, barrier) = (db.open(), Arc::clone(&barrier));
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

fn targets_track_attempts_retries_and_outcomes(db: &TestDb) {
    let store = db.open();
    let (id, contacts) = campaign(&store);
    let first = contacts[0];
    assert_eq!(store.campaign_targets(id, 1).unwrap().len(), contacts.len());
    assert_eq!(store.unfinished_campaigns().unwrap().len(), 1);

    let lease = Lease { owner: "this process", now: UnixMillis(6), until: UnixMillis(30_006) };
    assert_eq!(store.target_reserve(id, 1, first, &lease, 10).unwrap(), Reservation::Claimed(1));
    let call = campaign_call(&store, id, first);
    assert_eq!(
        store.target_reserve(id, 1, first, &lease, 10).unwrap(),
        Reservation::Taken,
        "a target on the line is not reserved again"
    );
    let placed = store.campaign_targets(id, 1).unwrap().into_iter().find(|t| t.contact_id == first).unwrap();
    assert_eq!(placed.call_id, Some(call.id), "a campaign call names its target from its first write");
    assert!(store.target_retry(&placed, UnixMillis(60_000), "no answer").unwrap());
    assert!(!store.target_retry(&placed, UnixMillis(60_000), "no answer").unwrap(), "settled once");
    assert_eq!(store.target_reserve(id, 1, first, &lease, 10).unwrap(), Reservation::Claimed(2));
    // A settler that read the first attempt changes nothing of the second, on the line now.
    assert!(!store.target_finished(&placed, "done", "no answer").unwrap());
    assert_eq!(target(&store, id, first).status, "calling");
    assert!(store.target_finished(&target(&store, id, first), "done", "quoted $0.45").unwrap());
    let target = store.campaign_targets(id, 1).unwrap().into_iter().find(|t| t.contact_id == first).unwrap();
    assert_eq!((target.status.as_str(), target.attempts, target.outcome.as_deref()), ("done", 2, Some("quoted $0.45")));

    assert!(store.set_campaign_paused(id, true).unwrap());
    assert!(store.cancel_campaign(id, false, UnixMillis(8)).unwrap());
    assert!(!store.set_campaign_paused(id, false).unwrap(), "a canceled campaign stays canceled");
    assert!(!store.cancel_campaign(id, true, UnixMillis(9)).unwrap(), "canceled once");
    assert!(store.unfinished_campaigns().unwrap().is_empty());
}

pub(crate) fn target(store: &Store, id: i64, contact: ContactId) -> switchboard_store::TargetRow {
    store.campaign_targets(id, 1).unwrap().into_iter().find(|t| t.contact_id == contact).unwrap()
}

fn a_campaign_has_no_more_calls_on_the_line_than_it_allows_whoever_placed_them(db: &TestDb) {
    let store = db.open();
    let (id, contacts) = campaign(&store);
    let lease = |owner| Lease { owner, now: UnixMillis(1_000), until: UnixMillis(31_000) };
    assert_eq!(store.target_reserve(id, 1, contacts[0], &lease("node 1"), 2).unwrap(), Reservation::Claimed(1));
    assert_eq!(store.target_reserve(id, 1, contacts[1], &lease("node 2"), 2).unwrap(), Reservation::Claimed(1));
    // Two on the line, one each: neither node may place a third.
    assert_eq!(store.target_reserve(id, 1, contacts[2], &lease("node 1"), 2).unwrap(), Reservation::Full);
    assert_eq!(store.target_reserve(id, 1, contacts[2], &lease("node 2"), 2).unwrap(), Reservation::Full);
    assert_eq!(target(&store, id, contacts[2]).status, "pending");
    assert!(store.target_finished(&target(&store, id, contacts[0]), "done", "quoted").unwrap());
    assert_eq!(store.target_reserve(id, 1, contacts[2], &lease("node 2"), 2).unwrap(), Reservation::Claimed(1));
}

fn a_target_leased_by_another_live_owner_is_never_reserved(db: &TestDb) {
    let store = db.open();
    let (id, contacts) = campaign(&store);
    let first = contacts[0];
    let a = Lease { owner: "pid 1", now: UnixMillis(1_000), until: UnixMillis(31_000) };
    assert_eq!(store.target_reserve(id, 1, first, &a, 10).unwrap(), Reservation::Claimed(1));
    let held = target(&store, id, first);
    assert_eq!((held.lease_owner.as_deref(), held.lease_expires_at), (Some("pid 1"), Some(UnixMillis(31_000))));
    assert!(held.leased_by_other("pid 2", UnixMillis(30_999)));
    assert!(!held.leased_by_other("pid 1", UnixMillis(30_999)), "not by another for its owner");
    assert!(!held.leased_by_other("pid 2", UnixMillis(31_000)), "an expired lease holds no more");

    // Put back in the queue by something that ignores leases (a store edit, an old version):
    // the lease still keeps a second process off it until it expires.
    db.execute("UPDATE campaign_targets SET status = 'pending'");
    let b = |now: i64| Lease { owner: "pid 2", now: UnixMillis(now), until: UnixMillis(now + 30_000) };
    assert_eq!(store.target_reserve(id, 1, first, &b(20_000), 10).unwrap(), Reservation::Taken, "held by pid 1");
    // Renewed while pid 1's runner lives: still held past the first expiry.
    db.execute("UPDATE campaign_targets SET status = 'calling'");
    let renewed = Lease { owner: "pid 1", now: UnixMillis(25_000), until: UnixMillis(55_000) };
    assert_eq!(store.renew_target_leases(&renewed).unwrap(), 1);
    db.execute("UPDATE campaign_targets SET status = 'pending'");
    assert_eq!(store.target_reserve(id, 1, first, &b(40_000), 10).unwrap(), Reservation::Taken, "renewed by pid 1");
    // pid 1 died: once its lease runs out, another owner may take the target.
    assert_eq!(store.target_reserve(id, 1, first, &b(55_000), 10).unwrap(), Reservation::Claimed(2));
    assert_eq!(target(&store, id, first).lease_owner.as_deref(), Some("pid 2"));

    // Settling a target releases its lease.
    assert!(store.target_finished(&target(&store, id, first), "done", "quoted").unwrap());
    let done = target(&store, id, first);
    assert_eq!((done.lease_owner, done.lease_expires_at), (None, None));
}

fn a_call_cut_off_by_the_app_closing_gives_its_attempt_back(db: &TestDb) {
    let store = db.open();
    let (id, contacts) = campaign(&store);
    let first = contacts[0];
    let lease = Lease { owner: "pid 1", now: UnixMillis(6), until: UnixMillis(30_006) };
    assert_eq!(store.target_reserve(id, 1, first, &lease, 10).unwrap(), Reservation::Claimed(1));
    let call = campaign_call(&store, id, first);

    assert!(store.target_requeue_abandoned(call.id, "cut off when Switchboard closed").unwrap());
    let requeued = target(&store, id, first);
    assert_eq!((requeued.status.as_str(), requeued.attempts, requeued.lease_owner), ("pending", 0, None));
    assert!(!store.target_requeue_abandoned(call.id, "again").unwrap(), "only a target on the line");
}

fn cancel_marks_every_target_not_yet_called_and_keeps_those_on_the_line(db: &TestDb) {
    let store = db.open();
    let (id, contacts) = campaign(&store);
    let lease = Lease { owner: "pid 1", now: UnixMillis(6), until: UnixMillis(30_006) };
    assert_eq!(store.target_reserve(id, 1, contacts[0], &lease, 10).unwrap(), Reservation::Claimed(1));
    assert!(store.target_finished(&target(&store, id, contacts[1]), "done", "quoted $0.45").unwrap());

    assert!(store.cancel_campaign(id, true, UnixMillis(9)).unwrap());
    let campaign = store.campaign(id).unwrap().unwrap();
    assert_eq!(
        (campaign.status.as_str(), campaign.end_calls, campaign.ended_at),
        ("canceled", true, Some(UnixMillis(9)))
    );
    let statuses: Vec<_> = store.campaign_targets(id, 1).unwrap().into_iter().map(|t| (t.status, t.outcome)).collect();
    assert_eq!(statuses[0], ("calling".to_owned(), None), "on the line until its call ends");
    assert_eq!(statuses[1], ("done".to_owned(), Some("quoted $0.45".to_owned())), "a real end is kept");
    assert!(statuses[2..].iter().all(|s| *s == ("canceled".to_owned(), Some("canceled".to_owned()))), "{statuses:?}");
    assert_eq!(store.unfinished_campaigns().unwrap().len(), 1, "its call on the line is still to settle");
    assert!(
        store.target_finished(&target(&store, id, contacts[0]), "done", "canceled: ended by the dispatcher").unwrap()
    );
    assert!(store.unfinished_campaigns().unwrap().is_empty());
}

fn each_vendors_last_quote_for_an_item_comes_from_the_campaigns_asking_for_it(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let contacts: Vec<ContactId> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let (acme, lakes) = (contacts[0], contacts[1]);
    let quote = |campaign: i64, contact: ContactId, price: f64, valid_days: Option<u32>| {
        let call = campaign_call(&store, campaign, contact);
        let offer = switchboard_core::Offer {
            call_id: call.id,
            contact_id: contact,
            unit_price: Some(price),
            moq: None,
            lead_time_days: None,
            shipping: None,
            terms: None,
            valid_days,
            confidence: 0.5,
        };
        store.save_offer(&offer).unwrap();
        call.id
    };
    let spec = |item: &str| format!(r#"{{"request": {{"item": "{item}", "quantity": 10}}}}"#);
    let washers =
        store.insert_campaign("Washers", "vendor-quote", &spec("M8 washers"), &[acme], UnixMillis(5)).unwrap();
    let bolts =
        store.insert_campaign("Bolts", "vendor-quote", &spec("Hex nuts"), &[acme, lakes], UnixMillis(5)).unwrap();
    let later = store.insert_campaign("Bolts 2", "vendor-quote", &spec(" hex NUTS "), &[acme], UnixMillis(6)).unwrap();
    quote(washers, acme, 0.05, None);
    let validity = quote(bolts, acme, 0.41, Some(30));
    quote(bolts, lakes, 0.44, None);
    quote(later, acme, 0.39, None);
    let last: Vec<(ContactId, f64)> =
        store.last_quotes_for_item("hex nuts").unwrap().into_iter().map(|(c, price, _)| (c, price)).collect();
    assert_eq!(last, [(acme, 0.39), (lakes, 0.44)]);
    // A call of a campaign with a request counts for its item, not for the vendor's own.
    assert!(store.last_quotes_for_item("M8x50 hex bolts").unwrap().is_empty());
    assert_eq!(store.offer(validity).unwrap().unwrap().valid_days, Some(30), "validity is kept");
}

fn a_vendors_past_items_are_the_requests_of_the_campaigns_it_was_a_target_of(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let contacts: Vec<ContactId> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let (acme, lakes, third) = (contacts[0], contacts[1], contacts[2]);
    let spec = |item: &str| format!(r#"{{"request": {{"item": "{item}", "quantity": 10}}}}"#);
    store.insert_campaign("Washers", "vendor-quote", &spec("M8 washers"), &[acme], UnixMillis(5)).unwrap();
    store.insert_campaign("Nuts", "vendor-quote", &spec("hex nuts"), &[acme, lakes], UnixMillis(6)).unwrap();
    store.insert_campaign("Nuts 2", "vendor-quote", &spec(" Hex Nuts "), &[lakes], UnixMillis(7)).unwrap();
    store.insert_campaign("Blank", "vendor-quote", &spec("  "), &[third], UnixMillis(8)).unwrap();
    store.insert_campaign("Drivers", "driver-violation", "{}", &[third], UnixMillis(9)).unwrap();

    let past = store.vendor_past_items().unwrap();
    assert_eq!(
        past,
        [(lakes, "Hex Nuts".to_owned()), (acme, "hex nuts".to_owned()), (acme, "M8 washers".to_owned())],
        "once per vendor and item whatever the case, newest first; no item, no past item"
    );
}

fn only_a_completed_campaign_is_revised_and_spec_and_summary_change_together(db: &TestDb) {
    let store = db.open();
    let (id, _) = campaign(&store);
    assert!(!store.revise_completed_campaign(id, r#"{"v":2}"#, r#"{"s":2}"#).unwrap(), "still running");
    assert_eq!(store.campaign(id).unwrap().unwrap().spec, "{}");
    assert!(store.complete_campaign(id, 1, r#"{"s":1}"#, UnixMillis(9)).unwrap());
    assert!(store.revise_completed_campaign(id, r#"{"v":2}"#, r#"{"s":2}"#).unwrap());
    let row = store.campaign(id).unwrap().unwrap();
    assert_eq!(
        (row.spec.as_str(), row.summary.as_deref(), row.status.as_str()),
        (r#"{"v":2}"#, Some(r#"{"s":2}"#), "completed")
    );
}

on_both!(
    many_completions_at_once_advance_the_round_exactly_once,
    targets_track_attempts_retries_and_outcomes,
    a_target_leased_by_another_live_owner_is_never_reserved,
    a_campaign_has_no_more_calls_on_the_line_than_it_allows_whoever_placed_them,
    a_call_cut_off_by_the_app_closing_gives_its_attempt_back,
    cancel_marks_every_target_not_yet_called_and_keeps_those_on_the_line,
    each_vendors_last_quote_for_an_item_comes_from_the_campaigns_asking_for_it,
    a_vendors_past_items_are_the_requests_of_the_campaigns_it_was_a_target_of,
    only_a_completed_campaign_is_revised_and_spec_and_summary_change_together,
);
