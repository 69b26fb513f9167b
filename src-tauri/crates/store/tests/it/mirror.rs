//! A copy of another store's calls (a console's offline copy of its team server's History): what
//! History's own queries and search read back from it equals what the other store shows.

use switchboard_core::{
    ActionStatus, AudioPacing, CallCost, CallFilter, CallPrice, CallState, ControlAction, CostItem, HeardLatency,
    Offer, TurnLatency, UnixMillis,
};
use switchboard_store::{MirroredCall, Store};

use crate::{TestDb, seeded};

/// A store standing for the team server's, with four calls of three vendors.
fn server() -> Store {
    let store = Store::open_in_memory().unwrap();
    seeded(&store);
    crate::history::call(&store, 0, 1_000, CallState::Completed, &["We can do 45 cents a bolt."]);
    crate::history::call(&store, 1, 2_000, CallState::NoAnswer, &[]);
    crate::history::call(&store, 0, 3_000, CallState::Voicemail, &["Leave a message after the tone."]);
    let priced = crate::history::call(&store, 2, 4_000, CallState::Completed, &["45 cents is our best price."]);
    let contact = store.call(priced).unwrap().unwrap().contact_id;
    let offer = Offer {
        call_id: priced,
        contact_id: contact,
        unit_price: Some(0.45),
        moq: Some(1000),
        lead_time_days: Some(7),
        shipping: Some("included".into()),
        terms: Some("net 30".into()),
        valid_days: Some(14),
        confidence: 1.0,
    };
    store.save_offer(&offer).unwrap();
    store.record_field(priced, "unit_price", "0.45").unwrap();
    store.set_call_cost(priced, &CallCost { amount: 0.05, currency: "USD".into() }, None).unwrap();
    let item = CostItem {
        item: "Simulator minutes".into(),
        quantity: 1.0,
        unit: "min".into(),
        rate_usd: 0.05,
        amount_usd: 0.05,
    };
    store.set_call_price(priced, &CallPrice { total_usd: 0.05, estimate: true, items: vec![item] }).unwrap();
    store.set_provider_ref(priced, "Twilio call SID", "CA1").unwrap();
    store.save_recording(priced, "4.wav", 60_000, 960_044, UnixMillis(4_100)).unwrap();
    store
        .record_turn_latency(priced, &TurnLatency { turn: 0, stt_ms: 100, llm_ms: 200, tts_ms: 80, send_ms: 1 })
        .unwrap();
    store.record_audio_pacing(priced, &AudioPacing { frames: 750, late: 1, worst_gap_ms: 40 }).unwrap();
    store.record_heard_latency(priced, &HeardLatency::new(Some(60), &[900])).unwrap();
    let action = store
        .insert_call_action(priced, ControlAction::Steer, "ask for net 45", ActionStatus::Running, UnixMillis(4_050))
        .unwrap();
    store.finish_call_action(action.id, ActionStatus::Done, None, UnixMillis(4_060)).unwrap();
    store
}

/// Everything the server shows of call `id` in its call view.
fn shown(server: &Store, id: switchboard_core::CallId) -> MirroredCall {
    MirroredCall {
        call: server.call(id).unwrap().unwrap(),
        transcript: server.transcript(id).unwrap(),
        fields: server.collected_fields(id).unwrap(),
        offer: server.offer(id).unwrap(),
        outcome: server.campaign_outcome(id).unwrap(),
        facts: server.provider_facts(id).unwrap(),
        price: server.call_price(id).unwrap(),
        recording: server.recording(id).unwrap(),
        latencies: server.turn_latencies(id).unwrap(),
        audio_pacing: server.audio_pacing(id).unwrap(),
        heard: server.heard_latency(id).unwrap(),
        actions: server.call_actions(id).unwrap(),
    }
}

fn kept_pages_and_records_read_back_as_the_server_shows_them(db: &TestDb) {
    let server = server();
    let copy = db.open();
    let all = CallFilter::default();
    let page = server.history_page(&all, None, 10).unwrap();
    copy.mirror_calls(&page).unwrap();
    assert_eq!(copy.history_page(&all, None, 10).unwrap(), page);
    assert_eq!(copy.history_count(&all).unwrap(), 4);
    let vendor = page.iter().find(|call| call.state == CallState::Voicemail).unwrap();
    let by_text = CallFilter { contact_text: Some(vendor.contact_name[..4].to_lowercase()), ..all.clone() };
    assert_eq!(copy.history_page(&by_text, None, 10).unwrap(), server.history_page(&by_text, None, 10).unwrap());
    let outcomes = CallFilter { outcomes: vec![CallState::Completed], agent_id: Some(vendor.agent_id), ..all.clone() };
    assert_eq!(copy.history_count(&outcomes).unwrap(), 2);
    assert!(copy.history_search(&all, "45 cents", 10).unwrap().is_empty(), "a listed call's transcript is not kept");

    for call in &page {
        assert!(!copy.is_mirrored(call.id).unwrap());
        copy.mirror_call(&shown(&server, call.id), UnixMillis(9_000)).unwrap();
        assert!(copy.is_mirrored(call.id).unwrap());
    }
    // Kept twice (opened again), it reads back the same: nothing is added twice.
    let priced = page[0].id;
    copy.mirror_call(&shown(&server, priced), UnixMillis(9_500)).unwrap();
    for call in &page {
        let (kept, original) = (shown(&copy, call.id), shown(&server, call.id));
        assert_eq!(format!("{kept:?}"), format!("{original:?}"), "call {}", call.id);
    }
    assert_eq!(
        copy.history_search(&all, "45 cents", 10).unwrap(),
        server.history_search(&all, "45 cents", 10).unwrap()
    );
    assert_eq!(
        copy.history_search(&by_text, "cents", 10).unwrap(),
        server.history_search(&by_text, "cents", 10).unwrap()
    );

    // A later page brings a call's new state; what was kept of it stays.
    let live = crate::history::call(&server, 1, 5_000, CallState::InProgress, &["Hello?"]);
    copy.mirror_call(&shown(&server, live), UnixMillis(9_600)).unwrap();
    server.advance_call(live, CallState::Completed, Some("hung up"), UnixMillis(5_500)).unwrap();
    copy.mirror_calls(&server.history_page(&all, None, 10).unwrap()).unwrap();
    assert_eq!(copy.call(live).unwrap(), server.call(live).unwrap());
    assert_eq!(copy.call(live).unwrap().unwrap().state, CallState::Completed);
    assert_eq!(copy.transcript(live).unwrap(), server.transcript(live).unwrap());
}

fn the_copy_keeps_the_newest_calls_and_forgets_the_rest_whole(db: &TestDb) {
    let server = server();
    let copy = db.open();
    let page = server.history_page(&CallFilter::default(), None, 10).unwrap();
    for call in &page {
        copy.mirror_call(&shown(&server, call.id), UnixMillis(9_000)).unwrap();
    }
    assert_eq!(copy.trim_mirror(10).unwrap(), 0);
    assert_eq!(copy.trim_mirror(2).unwrap(), 2);
    let kept: Vec<_> = copy.history_page(&CallFilter::default(), None, 10).unwrap();
    assert_eq!(kept, page[..2]);
    let (newest, forgotten) = (page[0].id, page[3].id);
    assert!(copy.is_mirrored(newest).unwrap());
    assert!(!copy.is_mirrored(forgotten).unwrap());
    assert!(copy.transcript(forgotten).unwrap().is_empty());
    let hits = copy.history_search(&CallFilter::default(), "cents", 10).unwrap();
    assert_eq!(hits.iter().map(|hit| hit.call.id).collect::<Vec<_>>(), [newest], "forgotten lines leave the index");
}

on_both!(
    kept_pages_and_records_read_back_as_the_server_shows_them,
    the_copy_keeps_the_newest_calls_and_forgets_the_rest_whole
);
