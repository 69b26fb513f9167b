//! Accepted webhooks: committed to the inbox before the 200, applied once, duplicates and late
//! events changing nothing, unreadable ones parked with their reason.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use switchboard_core::CallState;
use switchboard_engine::EngineEvent;
use switchboard_store::InboxCounts;
use switchboard_telephony::listener::{
    InboxPass, ListenerSettings, replay_inbox, spawn_inbox_processor, spawn_inbox_processor_until,
};

use super::{
    CALL_SID, Fixture, PUBLIC, call_with_provider_id, elevenlabs_request, secrets, twilio_request, twilio_status,
    ultravox_request, unix_now, vapi_request, vapi_secret,
};

#[tokio::test]
async fn a_signed_status_callback_is_stored_before_the_200_and_then_applied() {
    let mut fixture = Fixture::new();
    let response = fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "ringing", 1))).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The 200 means the row is committed; nothing has been applied yet.
    let rows = fixture.store.unprocessed_webhooks(0, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].provider.as_str(), rows[0].route.as_str()), ("twilio", "twilio-status"));
    assert_eq!(rows[0].event_key, format!("status:{CALL_SID}:ringing:1"));
    assert_eq!(rows[0].request_id.as_deref(), response.headers()["x-request-id"].to_str().ok());
    assert_eq!(fixture.state_of_call(fixture.call.id), CallState::Dialing);

    assert_eq!(
        replay_inbox(&fixture.state).await.unwrap(),
        InboxPass { processed: 1, failed: 0, waiting: 0, elsewhere: 0 }
    );
    assert_eq!(fixture.state_of_call(fixture.call.id), CallState::Ringing);
    assert_eq!(fixture.published_states(), [CallState::Ringing]);
    assert_eq!(fixture.store.inbox_counts().unwrap(), InboxCounts { total: 1, pending: 0, failed: 0 });
}

#[tokio::test]
async fn the_processor_applies_webhooks_as_they_arrive() {
    let mut fixture = Fixture::new();
    let processor = spawn_inbox_processor(Arc::clone(&fixture.state));
    fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2))).await;
    let event = tokio::time::timeout(Duration::from_secs(10), fixture.events.recv()).await.unwrap().unwrap();
    assert!(matches!(&*event, EngineEvent::CallUpdated { call } if call.state == CallState::InProgress));
    assert_eq!(fixture.state_of_call(fixture.call.id), CallState::InProgress);
    processor.abort();
}

#[tokio::test]
async fn a_processor_told_to_stop_applies_what_was_stored_and_ends() {
    let fixture = Fixture::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let processor = spawn_inbox_processor_until(Arc::clone(&fixture.state), async {
        let _ = stopped.await;
    });
    fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "ringing", 1))).await;
    fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2))).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), processor).await.expect("the processor ends").unwrap();
    assert_eq!(fixture.state_of_call(fixture.call.id), CallState::InProgress);
    assert_eq!(fixture.store.inbox_counts().unwrap(), InboxCounts { total: 2, pending: 0, failed: 0 });
}

#[tokio::test]
async fn a_duplicate_delivery_is_answered_200_with_one_row_and_one_state_change() {
    let mut fixture = Fixture::new();
    for _ in 0..3 {
        let response = fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2))).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 1);
    replay_inbox(&fixture.state).await.unwrap();
    // Redelivered after processing: still one row, nothing more happens.
    fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2))).await;
    assert_eq!(replay_inbox(&fixture.state).await.unwrap(), InboxPass::default());
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 1);
    assert_eq!(fixture.published_states(), [CallState::InProgress]);
}

#[tokio::test]
async fn out_of_order_status_callbacks_never_move_a_call_backwards() {
    let mut fixture = Fixture::new();
    for (status, sequence) in [("completed", 3), ("in-progress", 2), ("ringing", 1), ("initiated", 0)] {
        let response = fixture.send(twilio_request("/twilio/status", &twilio_status(CALL_SID, status, sequence))).await;
        assert_eq!(response.status(), StatusCode::OK);
        replay_inbox(&fixture.state).await.unwrap();
    }
    let call = fixture.store.call(fixture.call.id).unwrap().unwrap();
    assert_eq!(call.state, CallState::Completed);
    assert_eq!(call.end_reason.as_deref(), Some("the call ended (Twilio: completed)"));
    assert_eq!(fixture.published_states(), [CallState::Completed]);
    assert_eq!(fixture.store.inbox_counts().unwrap(), InboxCounts { total: 4, pending: 0, failed: 0 });
}

#[tokio::test]
async fn each_provider_s_webhook_reaches_its_call() {
    let mut fixture = Fixture::new();
    let eleven = call_with_provider_id(&fixture.store, "conv_1");
    let ultravox = call_with_provider_id(&fixture.store, "uv-call-1");
    let vapi = call_with_provider_id(&fixture.store, "vapi-call-1");
    let requests = [
        twilio_request("/twilio/amd", format!("CallSid={CALL_SID}&AccountSid=AC1&AnsweredBy=human").as_bytes()),
        elevenlabs_request(
            br#"{"type":"post_call_transcription","event_timestamp":1,"data":{"conversation_id":"conv_1","status":"done","metadata":{"termination_reason":"the caller hung up"}}}"#,
            unix_now(),
        ),
        ultravox_request(br#"{"event":"call.ended","call":{"callId":"uv-call-1","endReason":"unjoined"}}"#),
        vapi_request(br#"{"message":{"type":"end-of-call-report","endedReason":"customer-busy","call":{"id":"vapi-call-1"}}}"#, vapi_secret()),
        // A recording changes no state, but is stored and processed all the same.
        twilio_request("/twilio/recording", format!("CallSid={CALL_SID}&RecordingSid=RE1&RecordingStatus=completed").as_bytes()),
    ];
    for request in requests {
        let path = request.uri().path().to_owned();
        assert_eq!(fixture.send(request).await.status(), StatusCode::OK, "{path}");
    }
    assert_eq!(
        replay_inbox(&fixture.state).await.unwrap(),
        InboxPass { processed: 5, failed: 0, waiting: 0, elsewhere: 0 }
    );
    assert_eq!(fixture.state_of_call(fixture.call.id), CallState::InProgress);
    let eleven = fixture.store.call(eleven.id).unwrap().unwrap();
    assert_eq!((eleven.state, eleven.end_reason.as_deref()), (CallState::Completed, Some("the caller hung up")));
    assert_eq!(fixture.state_of_call(ultravox.id), CallState::NoAnswer);
    assert_eq!(fixture.state_of_call(vapi.id), CallState::Busy);
    assert_eq!(fixture.published_states().len(), 4);
}

#[tokio::test]
async fn a_webhook_that_beats_its_call_id_waits_for_it() {
    let mut fixture = Fixture::new();
    let processor = spawn_inbox_processor(Arc::clone(&fixture.state));
    let early = twilio_request("/twilio/status", &twilio_status("CAlate", "busy", 1));
    assert_eq!(fixture.send(early).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fixture.store.inbox_counts().unwrap(), InboxCounts { total: 1, pending: 1, failed: 0 });

    // The backend records the call SID after Twilio's first callback: the processor's next look
    // finds the call.
    let late = call_with_provider_id(&fixture.store, "CAlate");
    let event = tokio::time::timeout(Duration::from_secs(10), fixture.events.recv()).await.unwrap().unwrap();
    assert!(
        matches!(&*event, EngineEvent::CallUpdated { call } if call.id == late.id && call.state == CallState::Busy)
    );
    // The row is marked just after the change it caused is published.
    while fixture.store.inbox_counts().unwrap().pending > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fixture.store.inbox_counts().unwrap(), InboxCounts { total: 1, pending: 0, failed: 0 });
    processor.abort();
}

#[tokio::test]
async fn unreadable_webhooks_and_calls_unknown_past_the_grace_are_parked_with_the_reason() {
    let settings = ListenerSettings { unknown_call_grace: Duration::ZERO, ..ListenerSettings::new(PUBLIC) };
    let fixture = Fixture::with(secrets(), settings);
    let unreadable = twilio_request("/twilio/status", b"CallStatus=ringing&SequenceNumber=1");
    assert_eq!(fixture.send(unreadable).await.status(), StatusCode::OK, "stored as received; judged by processing");
    let stranger = twilio_request("/twilio/status", &twilio_status("CAnobody", "ringing", 1));
    assert_eq!(fixture.send(stranger).await.status(), StatusCode::OK);

    assert_eq!(
        replay_inbox(&fixture.state).await.unwrap(),
        InboxPass { processed: 0, failed: 2, waiting: 0, elsewhere: 0 }
    );
    assert_eq!(fixture.store.inbox_counts().unwrap(), InboxCounts { total: 2, pending: 0, failed: 2 });
    let reasons: Vec<String> =
        (1..=2).map(|id| fixture.store.webhook(id).unwrap().unwrap().last_error.unwrap()).collect();
    assert!(reasons[0].starts_with("Twilio status callback could not be read"), "{}", reasons[0]);
    assert_eq!(reasons[1], "no call is known by CAnobody");
    assert_eq!(replay_inbox(&fixture.state).await.unwrap(), InboxPass::default(), "parked rows are not retried");
}

#[tokio::test]
async fn the_post_call_audio_webhook_keeps_the_mp3_as_the_call_s_recording() {
    use base64::Engine as _;
    use switchboard_engine::LiveCalls;
    use switchboard_engine::history::Recordings;
    use switchboard_fakes::elevenlabs::{FAKE_MP3, FAKE_MP3_MS};

    let dir = tempfile::tempdir().unwrap();
    let mut fixture = Fixture::new();
    let state = Arc::try_unwrap(fixture.state).ok().unwrap();
    fixture.state = Arc::new(state.with_live_calls(LiveCalls::default(), Some(Recordings::new(dir.path().to_owned()))));
    let call = call_with_provider_id(&fixture.store, "conv_audio");
    let audio = base64::engine::general_purpose::STANDARD.encode(FAKE_MP3);
    let body = format!(
        r#"{{"type":"post_call_audio","event_timestamp":1,"data":{{"agent_id":"a","conversation_id":"conv_audio","full_audio":"{audio}"}}}}"#
    );
    assert_eq!(fixture.send(elevenlabs_request(body.as_bytes(), unix_now())).await.status(), StatusCode::OK);
    assert_eq!(
        replay_inbox(&fixture.state).await.unwrap(),
        InboxPass { processed: 1, failed: 0, waiting: 0, elsewhere: 0 }
    );

    let recording = fixture.store.recording(call.id).unwrap().expect("the audio is the call's recording");
    assert!(recording.file.ends_with(".mp3"), "{recording:?}");
    assert_eq!(std::fs::read(dir.path().join(&recording.file)).unwrap(), FAKE_MP3);
    let off_by = recording.duration_ms.abs_diff(FAKE_MP3_MS);
    assert!(off_by < 150, "as long as the audio plays: {recording:?}");
    assert_eq!(fixture.state_of_call(call.id), CallState::Dialing, "the audio alone ends nothing");

    // Audio that is not base64 is parked with its reason.
    let garbled = r#"{"type":"post_call_audio","event_timestamp":2,"data":{"conversation_id":"conv_2","full_audio":"not base64!"}}"#;
    assert_eq!(fixture.send(elevenlabs_request(garbled.as_bytes(), unix_now())).await.status(), StatusCode::OK);
    assert_eq!(
        replay_inbox(&fixture.state).await.unwrap(),
        InboxPass { processed: 0, failed: 1, waiting: 0, elsewhere: 0 }
    );
}
