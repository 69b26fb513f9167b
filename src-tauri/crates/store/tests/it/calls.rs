//! Call rows: forward-only states, terminal reasons, idempotent transcripts, fields and offers.

use switchboard_core::{CallId, CallState, CallSummary, Offer, Speaker, TranscriptLine, UnixMillis};
use switchboard_store::{CallProgress, NewCall, Store};

use crate::{TestDb, seeded};

fn new_call(store: &Store) -> CallSummary {
    seeded(store);
    first_call(store)
}

/// A queued call of the seeded store's first agent to its first contact.
pub(crate) fn first_call(store: &Store) -> CallSummary {
    let agent = store.list_agents().unwrap().remove(0);
    let contact = store.list_contacts().unwrap().remove(0);
    store
        .insert_call(&NewCall {
            contact_id: contact.id,
            agent_id: agent.id,
            backend: agent.config.backend,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(1_000),
            campaign: None,
        })
        .unwrap()
}

fn a_new_call_is_queued_with_names_joined(db: &TestDb) {
    let store = db.open();
    let call = new_call(&store);
    assert_eq!(call.state, CallState::Queued);
    assert_eq!(call.agent_name, "Vendor quote");
    assert_eq!(call.contact_name, "Acme Fasteners");
    assert_eq!(store.list_calls(10).unwrap(), vec![call.clone()]);
    assert_eq!(store.open_calls().unwrap(), vec![call.id]);
}

fn states_move_forward_and_late_events_change_nothing(db: &TestDb) {
    let store = db.open();
    let id = new_call(&store).id;
    let advance = |state, reason, at| store.advance_call(id, state, reason, UnixMillis(at)).unwrap();

    assert_eq!(advance(CallState::Ringing, None, 2_000).unwrap().state, CallState::Ringing);
    let answered = advance(CallState::InProgress, None, 3_000).unwrap();
    assert_eq!(answered.answered_at, Some(UnixMillis(3_000)));
    assert_eq!(advance(CallState::Ringing, None, 3_500), None, "a late ringing is ignored");
    let done = advance(CallState::Completed, Some("said goodbye"), 9_000).unwrap();
    assert_eq!(
        (done.state, done.end_reason.as_deref(), done.ended_at),
        (CallState::Completed, Some("said goodbye"), Some(UnixMillis(9_000)))
    );
    assert_eq!(advance(CallState::Failed, Some("late failure"), 9_500), None, "terminal is final");
    assert_eq!(store.call(id).unwrap().unwrap(), done);
    assert!(store.open_calls().unwrap().is_empty());
}

fn a_transcript_line_is_stored_once(db: &TestDb) {
    let store = db.open();
    let id = new_call(&store).id;
    let line = TranscriptLine { seq: 0, speaker: Speaker::Agent, text: "Hi".into(), offset_ms: 10 };
    assert!(store.append_transcript(id, &line).unwrap());
    assert!(!store.append_transcript(id, &TranscriptLine { text: "duplicate".into(), ..line.clone() }).unwrap());
    let reply = TranscriptLine { seq: 1, speaker: Speaker::Callee, text: "Hello".into(), offset_ms: 900 };
    assert!(store.append_transcript(id, &reply).unwrap());
    assert_eq!(store.transcript(id).unwrap(), vec![line, reply]);
    assert!(store.transcript(CallId(999)).unwrap().is_empty());
}

fn a_callee_who_asks_not_to_be_called_again_is_marked_do_not_call_with_the_line(db: &TestDb) {
    let store = db.open();
    let call = new_call(&store);
    let line = |seq, speaker, text: &str| TranscriptLine { seq, speaker, text: text.into(), offset_ms: seq * 1_000 };
    let marked = || store.contact(call.contact_id).unwrap().unwrap().fields.do_not_call;
    // The agent saying the words is not the callee asking.
    store.append_transcript(call.id, &line(0, Speaker::Agent, "Should I take you off our list?")).unwrap();
    store.append_transcript(call.id, &line(1, Speaker::Callee, "No, I was only busy.")).unwrap();
    assert!(!marked());
    let progress = CallProgress {
        lines: vec![line(2, Speaker::Callee, "Actually, please take me off your list.")],
        ..CallProgress::default()
    };
    store.record_progress(call.id, &progress).unwrap();
    assert!(marked(), "marked with the line that asked");
}

fn fields_are_corrected_in_place_and_offers_read_back(db: &TestDb) {
    let store = db.open();
    let call = new_call(&store);
    store.record_field(call.id, "unit_price", "$0.50").unwrap();
    store.record_field(call.id, "unit_price", "$0.45").unwrap();
    store.record_field(call.id, "terms", "Net 30").unwrap();
    let fields = store.collected_fields(call.id).unwrap();
    assert_eq!(fields, vec![("terms".to_owned(), "Net 30".to_owned()), ("unit_price".to_owned(), "$0.45".to_owned())]);

    let offer =
        Offer::from_fields(call.id, call.contact_id, fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap();
    store.save_offer(&offer).unwrap();
    assert_eq!(store.offer(call.id).unwrap(), Some(offer.clone()));
    assert_eq!(store.list_offers().unwrap(), vec![offer]);
}

fn a_call_is_found_by_its_provider_id_or_any_provider_ref(db: &TestDb) {
    let store = db.open();
    let call = new_call(&store);
    store.set_provider_call_id(call.id, "CA1").unwrap();
    store.set_provider_ref(call.id, "Ultravox call", "uv-1").unwrap();
    assert_eq!(store.call_by_provider_id("CA1").unwrap().unwrap().id, call.id);
    assert_eq!(store.call_by_provider_id("uv-1").unwrap().unwrap().id, call.id);
    assert!(store.call_by_provider_id("uv-2").unwrap().is_none());
}

fn provider_refs_are_found_as_they_are_now_and_the_newest_call_wins(db: &TestDb) {
    let store = db.open();
    let first = new_call(&store);
    store.set_provider_ref(first.id, "Ultravox call", "uv-1").unwrap();
    store.set_provider_ref(first.id, "Twilio call SID", "CA1").unwrap();
    // A ref replaced is no longer found by its old value; the others still are.
    store.set_provider_ref(first.id, "Ultravox call", "uv-2").unwrap();
    assert!(store.call_by_provider_id("uv-1").unwrap().is_none());
    assert_eq!(store.call_by_provider_id("uv-2").unwrap().unwrap().id, first.id);
    assert_eq!(store.call_by_provider_id("CA1").unwrap().unwrap().id, first.id);
    // Two calls naming the same id (a provider reusing it): the newest is the one meant.
    let agent = store.list_agents().unwrap().remove(0);
    let contact = store.list_contacts().unwrap().remove(0);
    let second = store
        .insert_call(&NewCall {
            contact_id: contact.id,
            agent_id: agent.id,
            backend: agent.config.backend,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(2_000),
            campaign: None,
        })
        .unwrap();
    store.set_provider_ref(second.id, "Ultravox call", "uv-2").unwrap();
    assert_eq!(store.call_by_provider_id("uv-2").unwrap().unwrap().id, second.id);
    // Forgetting the contact takes the calls and their refs.
    store.forget_contact(contact.id, |summary| Some(summary.to_owned())).unwrap();
    assert!(store.call_by_provider_id("uv-2").unwrap().is_none());
    assert!(store.call_by_provider_id("CA1").unwrap().is_none());
}

fn a_requested_call_action_is_taken_up_once_and_kept_with_its_outcome(db: &TestDb) {
    use switchboard_core::{ActionStatus, ControlAction};

    let store = db.open();
    let call = new_call(&store);
    assert_eq!(store.take_pending_call_action().unwrap(), None, "nothing asked");
    let running =
        store.insert_call_action(call.id, ControlAction::Steer, "ask", ActionStatus::Running, UnixMillis(1)).unwrap();
    assert_eq!(store.take_pending_call_action().unwrap(), None, "one being carried out is no request");
    let asked =
        store.insert_call_action(call.id, ControlAction::End, "", ActionStatus::Pending, UnixMillis(2)).unwrap();
    let taken = store.take_pending_call_action().unwrap().expect("the request");
    assert_eq!((taken.id, taken.status), (asked.id, ActionStatus::Running));
    assert_eq!(store.take_pending_call_action().unwrap(), None, "taken once");
    let refused =
        store.finish_call_action(asked.id, ActionStatus::Refused, Some("Twilio: not found"), UnixMillis(3)).unwrap();
    assert_eq!(refused.unwrap().result.as_deref(), Some("Twilio: not found"));
    let kept: Vec<_> = store.call_actions(call.id).unwrap().into_iter().map(|a| (a.id, a.status)).collect();
    assert_eq!(kept, [(running.id, ActionStatus::Running), (asked.id, ActionStatus::Refused)]);
}

on_both!(
    a_new_call_is_queued_with_names_joined,
    states_move_forward_and_late_events_change_nothing,
    a_transcript_line_is_stored_once,
    a_callee_who_asks_not_to_be_called_again_is_marked_do_not_call_with_the_line,
    fields_are_corrected_in_place_and_offers_read_back,
    a_call_is_found_by_its_provider_id_or_any_provider_ref,
    provider_refs_are_found_as_they_are_now_and_the_newest_call_wins,
    a_requested_call_action_is_taken_up_once_and_kept_with_its_outcome,
);
