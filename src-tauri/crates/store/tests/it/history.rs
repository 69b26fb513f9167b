//! History: filters, keyset pages, counts, search within a filter, call facts, retention,
//! forgetting a contact and the numbers that stay suppressed.

use switchboard_core::{
    AudioPacing, BackendKind, CallCost, CallFilter, CallId, CallState, ContactFields, HeardLatency, Offer, Speaker,
    TranscriptLine, TurnLatency, UnixMillis,
};
use switchboard_store::{CallProgress, NewCall, Store};

use crate::{TestDb, seeded};

/// Places a call to the `contact`-th sample vendor at `at`, ends it in `state` and gives it lines.
pub(crate) fn call(store: &Store, contact: usize, at: i64, state: CallState, lines: &[&str]) -> CallId {
    let agent = store.list_agents().unwrap()[0].id;
    let contact = &store.list_contacts().unwrap()[contact];
    let id = store
        .insert_call(&NewCall {
            contact_id: contact.id,
            agent_id: agent,
            backend: BackendKind::Simulator,
            phone_e164: contact.phone_e164.clone().unwrap_or_else(|| contact.fields.phone.clone()),
            created_at: UnixMillis(at),
            campaign: None,
        })
        .unwrap()
        .id;
    store.advance_call(id, state, Some("test"), UnixMillis(at + 10)).unwrap();
    for (seq, text) in lines.iter().enumerate() {
        let line = TranscriptLine { seq: seq as u32, speaker: Speaker::Callee, text: (*text).into(), offset_ms: 0 };
        store.append_transcript(id, &line).unwrap();
    }
    id
}

fn ids(calls: &[switchboard_core::CallSummary]) -> Vec<CallId> {
    calls.iter().map(|call| call.id).collect()
}

fn filters_combine_and_pages_follow_on(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let a = call(&store, 0, 1_000, CallState::Completed, &["We can do 45 cents."]);
    let b = call(&store, 1, 2_000, CallState::NoAnswer, &[]);
    let c = call(&store, 0, 3_000, CallState::Voicemail, &["Leave a message."]);
    let d = call(&store, 2, 4_000, CallState::Completed, &["45 cents per unit is our price."]);

    let all = CallFilter::default();
    assert_eq!(ids(&store.history_page(&all, None, 10).unwrap()), [d, c, b, a]);
    assert_eq!(store.history_count(&all).unwrap(), 4);
    let first = store.history_page(&all, None, 2).unwrap();
    assert_eq!(ids(&first), [d, c]);
    assert_eq!(ids(&store.history_page(&all, Some(c), 2).unwrap()), [b, a]);

    let vendor = store.list_contacts().unwrap()[0].clone();
    let by_contact = CallFilter { contact_id: Some(vendor.id), ..CallFilter::default() };
    assert_eq!(ids(&store.history_page(&by_contact, None, 10).unwrap()), [c, a]);
    let by_text = CallFilter { contact_text: Some(vendor.fields.name[..4].to_lowercase()), ..CallFilter::default() };
    assert_eq!(ids(&store.history_page(&by_text, None, 10).unwrap()), [c, a]);
    let wildcard = CallFilter { contact_text: Some("%".into()), ..CallFilter::default() };
    assert_eq!(store.history_count(&wildcard).unwrap(), 0, "% is a character, not a wildcard");

    let outcomes = CallFilter { outcomes: vec![CallState::Completed, CallState::NoAnswer], ..CallFilter::default() };
    assert_eq!(ids(&store.history_page(&outcomes, None, 10).unwrap()), [d, b, a]);
    let window = CallFilter { from: Some(UnixMillis(2_000)), to: Some(UnixMillis(4_000)), ..CallFilter::default() };
    assert_eq!(ids(&store.history_page(&window, None, 10).unwrap()), [c, b]);
    let other_backend = CallFilter { backend: Some(BackendKind::Vapi), ..CallFilter::default() };
    assert_eq!(store.history_count(&other_backend).unwrap(), 0);
    let agent = CallFilter { agent_id: Some(store.list_agents().unwrap()[0].id), ..outcomes };
    assert_eq!(store.history_count(&agent).unwrap(), 3);

    let hits = store.history_search(&all, "45 cents", 10).unwrap();
    assert_eq!(hits.len(), 2);
    let hits = store.history_search(&by_contact, "45 cents", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].call.id, hits[0].seq), (a, 0));
    assert_eq!(hits[0].call.contact_name, vendor.fields.name);
    assert!(hits[0].snippet.contains("\u{2}45\u{3}"), "{:?}", hits[0].snippet);
}

fn a_calls_provider_facts_recording_latency_and_audio_pacing_are_kept(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let id = call(&store, 0, 1_000, CallState::Completed, &[]);
    assert_eq!(store.provider_facts(id).unwrap(), Default::default());
    store.set_call_cost(id, &CallCost { amount: 0.1234, currency: "USD".into() }, None).unwrap();
    store.set_provider_ref(id, "Twilio call SID", "CA123").unwrap();
    store.set_provider_ref(id, "ElevenLabs conversation", "conv_9").unwrap();
    store.set_provider_ref(id, "Twilio call SID", "CA456").unwrap();
    store.set_provider_record(id, r#"{"status":"done"}"#).unwrap();
    let facts = store.provider_facts(id).unwrap();
    assert_eq!(facts.cost, Some(CallCost { amount: 0.1234, currency: "USD".into() }));
    assert_eq!(facts.refs.get("Twilio call SID").map(String::as_str), Some("CA456"));
    assert_eq!(facts.refs.len(), 2);
    assert_eq!(facts.record.as_deref(), Some(r#"{"status":"done"}"#));

    let turn = TurnLatency { turn: 1, stt_ms: 110, llm_ms: 240, tts_ms: 80, send_ms: 1 };
    store.record_turn_latency(id, &turn).unwrap();
    store.record_turn_latency(id, &TurnLatency { turn: 0, ..turn }).unwrap();
    assert_eq!(store.turn_latencies(id).unwrap().iter().map(|t| t.turn).collect::<Vec<_>>(), [0, 1]);

    assert_eq!(store.audio_pacing(id).unwrap(), None, "a call the engine did not voice has no pacing");
    let pacing = AudioPacing { frames: 750, late: 2, worst_gap_ms: 61 };
    store.record_audio_pacing(id, &pacing).unwrap();
    assert_eq!(store.audio_pacing(id).unwrap(), Some(pacing));

    assert_eq!(store.heard_latency(id).unwrap(), None);
    let heard = HeardLatency::new(Some(60), &[1040, 1100]);
    store.record_heard_latency(id, &heard).unwrap();
    assert_eq!(store.heard_latency(id).unwrap(), Some(heard));

    store.save_recording(id, "1.wav", 61_000, 976_044, UnixMillis(1_000)).unwrap();
    let other = call(&store, 1, 5_000, CallState::Completed, &[]);
    store.save_recording(other, "2.wav", 1_000, 16_044, UnixMillis(5_000)).unwrap();
    assert_eq!(store.expire_recordings(UnixMillis(2_000), UnixMillis(9_000)).unwrap(), ["1.wav"]);
    assert_eq!(store.expire_recordings(UnixMillis(2_000), UnixMillis(9_500)).unwrap(), Vec::<String>::new());
    assert_eq!(store.recording(id).unwrap().unwrap().deleted_at, Some(UnixMillis(9_000)));
    assert_eq!(store.recording(other).unwrap().unwrap().deleted_at, None);
}

fn a_calls_measures_commit_with_its_lines_and_with_its_end(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let id = call(&store, 0, 1_000, CallState::InProgress, &[]);
    let line = TranscriptLine { seq: 0, speaker: Speaker::Agent, text: "Hello.".into(), offset_ms: 0 };
    let turn = TurnLatency { turn: 0, stt_ms: 110, llm_ms: 240, tts_ms: 80, send_ms: 1 };
    let burst = CallProgress { lines: vec![line], turn_latencies: vec![turn], ..CallProgress::default() };
    store.record_progress(id, &burst).unwrap();
    assert_eq!(store.turn_latencies(id).unwrap(), [turn], "a turn's latency commits with the lines beside it");

    let pacing = AudioPacing { frames: 750, late: 2, worst_gap_ms: 61 };
    let heard = HeardLatency::new(Some(60), &[1040, 1100]);
    let last = TurnLatency { turn: 1, ..turn };
    let end = CallProgress {
        turn_latencies: vec![last],
        heard: Some(heard),
        pacing: Some(pacing),
        ..CallProgress::default()
    };
    assert!(!end.is_empty(), "measures alone are progress to store");
    store.end_call(id, CallState::Completed, "done", UnixMillis(9_000), &end, None).unwrap();
    assert_eq!(store.turn_latencies(id).unwrap(), [turn, last]);
    assert_eq!(store.audio_pacing(id).unwrap(), Some(pacing));
    assert_eq!(store.heard_latency(id).unwrap(), Some(heard));
    assert_eq!(store.call(id).unwrap().unwrap().state, CallState::Completed);
}

fn forgetting_a_contact_removes_everything_about_them_and_keeps_a_do_not_call_number_suppressed(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let contacts = store.list_contacts().unwrap();
    let (gone, kept) = (&contacts[0], &contacts[1]);
    let forgotten_call = call(&store, 0, 1_000, CallState::Completed, &["Our secret price is 41 cents."]);
    let kept_call = call(&store, 1, 2_000, CallState::Completed, &["We charge 50 cents."]);
    store.record_field(forgotten_call, "unit_price", "0.41").unwrap();
    let offer = |call_id, contact_id| Offer {
        call_id,
        contact_id,
        unit_price: Some(0.41),
        moq: None,
        lead_time_days: None,
        shipping: None,
        terms: None,
        valid_days: None,
        confidence: 0.2,
    };
    store.save_offer(&offer(forgotten_call, gone.id)).unwrap();
    store.save_offer(&offer(kept_call, kept.id)).unwrap();
    store.save_recording(forgotten_call, "1.wav", 1, 1, UnixMillis(1)).unwrap();
    let campaign = store.insert_campaign("Bolts", "vendor-quote", "{}", &[gone.id, kept.id], UnixMillis(1)).unwrap();
    store.complete_campaign(campaign, 1, r#"{"names":"Acme"}"#, UnixMillis(3)).unwrap();
    let mut fields: ContactFields = gone.fields.clone();
    fields.do_not_call = true;
    store.update_contact(gone.id, &fields, phone(gone).as_ref(), UnixMillis(5)).unwrap();

    let forgotten = store.forget_contact(gone.id, |summary| Some(summary.replace("Acme", "someone"))).unwrap();
    assert_eq!(forgotten.calls, 1);
    assert_eq!(forgotten.recording_files, ["1.wav"]);
    assert!(forgotten.number_suppressed);
    assert!(store.contact(gone.id).unwrap().is_none());
    assert!(store.call(forgotten_call).unwrap().is_none());
    assert!(store.transcript(forgotten_call).unwrap().is_empty());
    assert!(store.collected_fields(forgotten_call).unwrap().is_empty());
    assert!(store.recording(forgotten_call).unwrap().is_none());
    assert!(store.search_transcripts("secret", 10).unwrap().is_empty(), "the search index forgets too");
    assert_eq!(store.list_offers().unwrap().len(), 1);
    assert_eq!(store.campaign_targets(campaign, 1).unwrap().len(), 1);
    assert_eq!(store.campaign(campaign).unwrap().unwrap().summary.as_deref(), Some(r#"{"names":"someone"}"#));
    assert!(store.call(kept_call).unwrap().is_some());

    // The same number comes back (an import, a one-off call): it is do-not-call at once.
    let again = store.insert_contact(&gone.fields, phone(gone).as_ref(), UnixMillis(9)).unwrap();
    assert!(store.contact(again).unwrap().unwrap().fields.do_not_call);
    // Clearing the flag on purpose lifts the suppression.
    let mut cleared = store.contact(again).unwrap().unwrap().fields;
    cleared.do_not_call = false;
    store.update_contact(again, &cleared, phone(gone).as_ref(), UnixMillis(10)).unwrap();
    store.forget_contact(again, |s| Some(s.to_owned())).unwrap();
    let third = store.insert_contact(&gone.fields, phone(gone).as_ref(), UnixMillis(11)).unwrap();
    assert!(!store.contact(third).unwrap().unwrap().fields.do_not_call);
    // A contact renumbered to a suppressed number becomes do-not-call.
    let mut dnc = kept.fields.clone();
    dnc.do_not_call = true;
    store.update_contact(kept.id, &dnc, phone(kept).as_ref(), UnixMillis(12)).unwrap();
    let mut renumbered = store.contact(third).unwrap().unwrap().fields;
    renumbered.phone = kept.fields.phone.clone();
    store.update_contact(third, &renumbered, phone(kept).as_ref(), UnixMillis(13)).unwrap();
    assert!(store.contact(third).unwrap().unwrap().fields.do_not_call);
}

/// A stored contact's number, to write it again.
fn phone(contact: &switchboard_core::Contact) -> Option<switchboard_core::Phone> {
    contact.phone_e164.clone().map(switchboard_core::Phone::plain)
}

on_both!(
    filters_combine_and_pages_follow_on,
    a_calls_provider_facts_recording_latency_and_audio_pacing_are_kept,
    a_calls_measures_commit_with_its_lines_and_with_its_end,
    forgetting_a_contact_removes_everything_about_them_and_keeps_a_do_not_call_number_suppressed,
);
