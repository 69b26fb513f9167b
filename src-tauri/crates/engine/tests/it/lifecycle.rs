//! A call's life from queued to terminal: ordering, duplicates, offers, and calls that go silent.

use switchboard_core::{CallState, Speaker};
use switchboard_engine::{BackendEvent, EngineEvent};

use crate::{Script, ScriptedBackend, engine_with, ids, last_call, states, until_ended};

fn line(speaker: Speaker, text: &str, offset_ms: u32) -> BackendEvent {
    BackendEvent::Line { speaker, text: text.into(), offset_ms }
}

fn field(key: &str, value: &str) -> BackendEvent {
    BackendEvent::Field { key: key.into(), value: value.into() }
}

#[tokio::test]
async fn a_call_is_stored_then_published_and_ignores_late_events() {
    let backend = ScriptedBackend::new(Script::Play(vec![
        BackendEvent::Ringing,
        BackendEvent::Answered,
        BackendEvent::Ringing, // late and out of order
        line(Speaker::Agent, "Hi, quote please?", 1_000),
        line(Speaker::Callee, "$0.45 per unit, Net 30.", 4_000),
        field("unit_price", "$0.45 per unit"),
        field("terms", "Net 30"),
        BackendEvent::Ended { state: CallState::Completed, reason: "said goodbye".into() },
        BackendEvent::Ended { state: CallState::Failed, reason: "a duplicate end".into() },
    ]));
    let engine = engine_with(backend.clone(), 60);
    let mut events = engine.bus().subscribe();
    let (contact, agent) = ids(&engine, "Acme Fasteners");

    let call = super::start(&engine, contact, agent).await.unwrap();
    assert_eq!(call.phone, "+13125550143");
    let seen = until_ended(&mut events, call.id).await;

    assert_eq!(
        states(&seen),
        [CallState::Queued, CallState::Dialing, CallState::Ringing, CallState::InProgress, CallState::Completed]
    );
    let ended = last_call(&seen);
    assert_eq!(ended.end_reason.as_deref(), Some("said goodbye"));
    assert_eq!(engine.store().call(call.id).unwrap().unwrap(), ended, "what was published is what was stored");

    let transcript = engine.store().transcript(call.id).unwrap();
    assert_eq!(
        transcript.iter().map(|l| (l.seq, l.speaker)).collect::<Vec<_>>(),
        [(0, Speaker::Agent), (1, Speaker::Callee)]
    );
    let offer = engine.store().offer(call.id).unwrap().expect("the fields make an offer");
    assert_eq!((offer.unit_price, offer.terms.as_deref(), offer.confidence), (Some(0.45), Some("Net 30"), 2.0 / 6.0));
    assert!(seen.iter().any(|e| matches!(e, EngineEvent::OfferRecorded { offer: o } if *o == offer)));

    let request = backend.requests.lock().unwrap().remove(0);
    assert!(request.first_message.contains("Northwind Freight") && request.first_message.contains("M8x50 hex bolts"));
    assert!(!request.system_prompt.contains("{{"), "every variable filled: {}", request.system_prompt);
}

#[tokio::test]
async fn values_arriving_in_one_burst_are_each_filed_with_the_callee_line_before_them() {
    let backend = ScriptedBackend::new(Script::Play(vec![
        BackendEvent::Answered,
        line(Speaker::Agent, "Can you tell me what happened?", 1_000),
        line(Speaker::Callee, "That wasn't me.", 2_000),
        field("driver_comment", "disputes"),
        line(Speaker::Agent, "Do you acknowledge the events?", 3_000),
        line(Speaker::Callee, "No.", 4_000),
        field("acknowledged", "no"),
        BackendEvent::Ended { state: CallState::Completed, reason: "said goodbye".into() },
    ]));
    let engine = engine_with(backend, 60);
    let mut events = engine.bus().subscribe();
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let call = super::start(&engine, contact, agent).await.unwrap();
    until_ended(&mut events, call.id).await;
    assert_eq!(engine.store().field_line(call.id, "driver_comment").unwrap(), Some(1));
    assert_eq!(engine.store().field_line(call.id, "acknowledged").unwrap(), Some(3));
}

#[tokio::test]
async fn a_backend_that_goes_silent_has_its_call_closed_as_lost() {
    let backend = ScriptedBackend::new(Script::Play(vec![BackendEvent::Ringing, BackendEvent::Answered]));
    let engine = engine_with(backend, 1);
    let mut events = engine.bus().subscribe();
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let call = super::start(&engine, contact, agent).await.unwrap();

    let ended = last_call(&until_ended(&mut events, call.id).await);
    assert_eq!(ended.state, CallState::Lost);
    assert!(ended.end_reason.unwrap().contains("no final event within 1 s"));
}

#[tokio::test]
async fn a_backend_that_vanishes_mid_call_leaves_a_reason() {
    let backend = ScriptedBackend::new(Script::PlayThenVanish(vec![BackendEvent::Ringing]));
    let engine = engine_with(backend, 60);
    let mut events = engine.bus().subscribe();
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let call = super::start(&engine, contact, agent).await.unwrap();

    let ended = last_call(&until_ended(&mut events, call.id).await);
    assert_eq!(ended.state, CallState::Lost);
    assert_eq!(ended.end_reason.as_deref(), Some("the backend stopped reporting before the call ended"));
    assert_eq!(engine.store().offer(call.id).unwrap(), None, "no fields, no offer");
}

#[tokio::test]
async fn calls_left_open_by_a_previous_run_are_closed_at_start() {
    let backend = ScriptedBackend::new(Script::Play(vec![BackendEvent::Ringing]));
    let engine = engine_with(backend, 600);
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let call = super::start(&engine, contact, agent).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    assert_eq!(engine.close_abandoned_calls().await.unwrap(), 1);
    let closed = engine.store().call(call.id).unwrap().unwrap();
    assert_eq!(closed.state, CallState::Lost);
    assert!(closed.end_reason.unwrap().contains("closed while the call was live"));
    assert_eq!(engine.close_abandoned_calls().await.unwrap(), 0);
}

#[tokio::test]
async fn canceling_a_campaign_says_which_calls_its_backend_cannot_end_from_here() {
    let backend = ScriptedBackend::new(Script::Play(vec![BackendEvent::Ringing, BackendEvent::Answered]));
    let engine = std::sync::Arc::new(engine_with(backend, 600));
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let spec = switchboard_engine::campaigns::CampaignSpec {
        name: "left to finish".into(),
        kind: switchboard_engine::campaigns::CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: vec![contact],
        concurrency: 1,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: None,
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    let call = loop {
        let calls = engine.store().calls_in_campaign(id).unwrap();
        if let Some(call) = calls.into_iter().find(|c| c.state == CallState::InProgress) {
            break call;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };

    let report = engine.cancel_campaign(id, true).await.unwrap();
    assert!(report.ended.is_empty());
    assert_eq!(report.left.len(), 1);
    let left = &report.left[0];
    assert_eq!((left.call_id, left.contact_name.as_str()), (call.id, "Acme Fasteners"));
    assert_eq!(left.reason, format!("simulator: {}", switchboard_engine::CANNOT_HANG_UP));
    let target = engine.store().campaign_targets(id, 1).unwrap().remove(0);
    assert_eq!(target.status, "calling", "left on the line until its call ends");
    assert_eq!(engine.store().call(call.id).unwrap().unwrap().state, CallState::InProgress);
}
