//! The driver review queue: resolutions survive reopening and go with a forgotten contact;
//! each collected value remembers the callee line that gave it.

use switchboard_core::{BackendKind, ContactId, Speaker, TranscriptLine, UnixMillis};
use switchboard_store::{CallProgress, NewCall, ReviewRow, Store, StoreError};

use crate::{TestDb, seeded};

/// A campaign over the seeded contacts, and the first contact's call in it.
fn campaign_with_call(store: &Store) -> (i64, ContactId, switchboard_core::CallId) {
    seeded(store);
    let contacts: Vec<ContactId> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let id = store.insert_campaign("Week 48", "driver-violation", "{}", &contacts, UnixMillis(5)).unwrap();
    let call = store
        .insert_call(&NewCall {
            contact_id: contacts[0],
            agent_id: store.list_agents().unwrap()[0].id,
            backend: BackendKind::Simulator,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(6),
            campaign: Some((id, 1, 1)),
        })
        .unwrap();
    (id, contacts[0], call.id)
}

fn a_resolution_survives_reopening_and_a_second_one_replaces_it(db: &TestDb) {
    let (campaign, contact) = {
        let store = db.open();
        let (campaign, contact, _) = campaign_with_call(&store);
        store.resolve_review(campaign, contact, "called back, footage checked", UnixMillis(10)).unwrap();
        (campaign, contact)
    };
    let store = db.open();
    let resolved =
        |note: &str, at| vec![ReviewRow { contact_id: contact, note: note.into(), resolved_at: UnixMillis(at) }];
    assert_eq!(store.reviews(campaign).unwrap(), resolved("called back, footage checked", 10));
    store.resolve_review(campaign, contact, "dispute upheld", UnixMillis(20)).unwrap();
    assert_eq!(store.reviews(campaign).unwrap(), resolved("dispute upheld", 20));
    assert!(store.reviews(campaign + 1).unwrap().is_empty());
}

fn only_a_driver_the_batch_called_can_be_resolved(db: &TestDb) {
    let store = db.open();
    let (campaign, contact, _) = campaign_with_call(&store);
    let err = store.resolve_review(campaign + 1, contact, "note", UnixMillis(10)).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let err = store.resolve_review(campaign, ContactId(9_999), "note", UnixMillis(10)).unwrap_err();
    assert_eq!(err.to_string(), StoreError::NotFound(format!("contact 9999 in campaign {campaign}")).to_string());
    assert!(store.reviews(campaign).unwrap().is_empty());
}

fn forgetting_a_driver_forgets_their_resolution(db: &TestDb) {
    let store = db.open();
    let (campaign, contact, _) = campaign_with_call(&store);
    store.resolve_review(campaign, contact, "spoke with them", UnixMillis(10)).unwrap();
    store.forget_contact(contact, |_| None).unwrap();
    assert!(store.reviews(campaign).unwrap().is_empty());
}

fn a_collected_value_is_filed_with_the_callee_line_before_it(db: &TestDb) {
    let store = db.open();
    let (_, _, call) = campaign_with_call(&store);
    let line = |seq, speaker, text: &str| TranscriptLine { seq, speaker, text: text.into(), offset_ms: seq * 1_000 };
    let progress = |lines: Vec<TranscriptLine>, fields: &[(&str, &str)]| CallProgress {
        lines,
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..CallProgress::default()
    };
    store.record_progress(call, &progress(vec![line(0, Speaker::Agent, "What happened?")], &[("early", "x")])).unwrap();
    let said = vec![line(1, Speaker::Callee, "That wasn't me."), line(2, Speaker::Agent, "Noted.")];
    store.record_progress(call, &progress(said, &[("driver_comment", "disputes")])).unwrap();
    store
        .record_progress(call, &progress(vec![line(3, Speaker::Callee, "Not signing.")], &[("acknowledged", "no")]))
        .unwrap();
    assert_eq!(store.field_line(call, "early").unwrap(), None, "no callee line yet");
    assert_eq!(store.field_line(call, "driver_comment").unwrap(), Some(1), "the callee's, not the agent's");
    assert_eq!(store.field_line(call, "acknowledged").unwrap(), Some(3));
    assert_eq!(store.field_line(call, "missing").unwrap(), None);
}

on_both!(
    a_resolution_survives_reopening_and_a_second_one_replaces_it,
    only_a_driver_the_batch_called_can_be_resolved,
    forgetting_a_driver_forgets_their_resolution,
    a_collected_value_is_filed_with_the_callee_line_before_it,
);
