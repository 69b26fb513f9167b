//! The Deepgram live client against a loopback Deepgram: the documented query and `Token` auth,
//! audio as binary frames, control messages, typed events, and every way a socket can end.

use axum::extract::ws::Message;
use serde_json::json;
use switchboard_providers::deepgram::{DeepgramClient, DeepgramConfig, DeepgramStream, ListenEvent, ListenOptions};
use switchboard_providers::{Provider, ProviderError, Secret};
use tokio::sync::mpsc;

use crate::support::fast_settings;
use switchboard_fakes::scripted_socket::{Refusal, SocketFake, close, receive_until, text};

const KEY: &str = "dg-secret-key";

async fn listen(fake: &SocketFake) -> Result<DeepgramStream, ProviderError> {
    let config = DeepgramConfig { base_url: fake.base_url.clone(), api_key: Secret::new(KEY) };
    DeepgramClient::new(config, &fast_settings()).unwrap().listen(&ListenOptions::default()).await
}

fn is_close_stream(message: &Message) -> bool {
    matches!(message, Message::Text(text) if text.as_str() == r#"{"type":"CloseStream"}"#)
}

fn result(text: &str, is_final: bool, speech_final: bool, start: f64) -> serde_json::Value {
    json!({"type": "Results", "channel_index": [0, 1], "is_final": is_final, "speech_final": speech_final,
           "start": start, "duration": 1.02,
           "channel": {"alternatives": [{"transcript": text, "confidence": 0.98, "words": []}]}})
}

#[tokio::test]
async fn audio_and_controls_go_out_and_typed_events_come_back() {
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let fake = SocketFake::start(Vec::new(), move |mut socket| {
        let seen = seen_tx.clone();
        async move {
            seen.send(receive_until(&mut socket, is_close_stream).await).unwrap();
            for message in [
                json!({"type": "SpeechStarted", "channel": [0], "timestamp": 0.25}),
                result("hello", false, false, 0.0),
                result("hello there", true, true, 0.0),
                json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": 2.35}),
                json!({"type": "SomethingNew"}),
                json!({"type": "Metadata", "request_id": "req-1", "duration": 12.3, "channels": 1}),
            ] {
                socket.send(text(message)).await.unwrap();
            }
            socket.send(close(1000, "")).await.unwrap();
        }
    })
    .await;

    let (mut sender, mut receiver) = listen(&fake).await.unwrap().split();
    sender.send_audio(&[0xff; 160]).await.unwrap();
    sender.send_audio(&[0x7f; 160]).await.unwrap();
    sender.keep_alive().await.unwrap();
    sender.finalize().await.unwrap();
    sender.finish().await.unwrap();

    let mut events = Vec::new();
    loop {
        let event = receiver.recv().await.unwrap();
        events.push(event.clone());
        if event == ListenEvent::Closed {
            break;
        }
    }
    let transcript = |text: &str, is_final, speech_final| ListenEvent::Transcript {
        text: text.into(),
        is_final,
        speech_final,
        start: 0.0,
        duration: 1.02,
    };
    assert_eq!(
        events,
        [
            ListenEvent::SpeechStarted { timestamp: 0.25 },
            transcript("hello", false, false),
            transcript("hello there", true, true),
            ListenEvent::UtteranceEnd { last_word_end: 2.35 },
            ListenEvent::Metadata { request_id: "req-1".into(), duration: 12.3 },
            ListenEvent::Closed,
        ]
    );
    assert_eq!(receiver.recv().await.unwrap(), ListenEvent::Closed, "Closed stays closed");

    assert_eq!(
        seen_rx.recv().await.unwrap(),
        [
            Message::Binary(vec![0xff; 160].into()),
            Message::Binary(vec![0x7f; 160].into()),
            Message::Text(r#"{"type":"KeepAlive"}"#.into()),
            Message::Text(r#"{"type":"Finalize"}"#.into()),
            Message::Text(r#"{"type":"CloseStream"}"#.into()),
        ]
    );
    let handshake = fake.single();
    assert_eq!(
        handshake.uri,
        "/v1/listen?model=nova-3&language=en&encoding=mulaw&sample_rate=8000&channels=1&interim_results=true\
         &endpointing=300&utterance_end_ms=1000&vad_events=true&smart_format=true"
    );
    assert_eq!(handshake.header("authorization"), Some(format!("Token {KEY}").as_str()));
    assert_eq!(handshake.header("upgrade"), Some("websocket"));
}

#[tokio::test]
async fn a_401_is_surfaced_at_once_without_the_key() {
    let refusal = Refusal {
        status: 401,
        retry_after: None,
        body: r#"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"r1"}"#,
    };
    let fake = SocketFake::start(vec![refusal], |_socket| async {}).await;
    let error = listen(&fake).await.unwrap_err();
    assert_eq!(error.provider(), Provider::Deepgram);
    assert_eq!(error.status(), Some(401));
    assert!(error.to_string().contains("INVALID_AUTH") && !error.to_string().contains(KEY), "{error}");
    assert_eq!(fake.handshakes().len(), 1, "a 401 is never retried");
}

#[tokio::test]
async fn a_429_or_503_before_the_socket_opens_is_retried() {
    let refusals = vec![
        Refusal { status: 429, retry_after: Some("0"), body: "slow down" },
        Refusal { status: 503, retry_after: None, body: "unavailable" },
    ];
    let fake = SocketFake::start(refusals, |mut socket| async move {
        socket.send(close(1000, "")).await.unwrap();
    })
    .await;
    let (_sender, mut receiver) = listen(&fake).await.unwrap().split();
    assert_eq!(receiver.recv().await.unwrap(), ListenEvent::Closed);
    assert_eq!(fake.handshakes().len(), 3);
}

#[tokio::test]
async fn an_error_close_frame_is_a_stream_failure_naming_deepgram() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(text(result("hi", true, false, 0.0))).await.unwrap();
        socket.send(close(1011, "NET-0001: no audio received within the timeout")).await.unwrap();
    })
    .await;
    let (_sender, mut receiver) = listen(&fake).await.unwrap().split();
    assert!(matches!(receiver.recv().await.unwrap(), ListenEvent::Transcript { is_final: true, .. }));
    let error = receiver.recv().await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::StreamFailed {
            provider: Provider::Deepgram,
            reason: "close code 1011: NET-0001: no audio received within the timeout".into()
        }
    );
    assert_eq!(receiver.recv().await.unwrap_err(), error, "the end is sticky");
}

#[tokio::test]
async fn an_error_message_is_a_stream_failure() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        let error = json!({"type": "Error", "description": "Failed to decode audio", "variant": "DATA-0000"});
        socket.send(text(error)).await.unwrap();
        receive_until(&mut socket, |_| false).await;
    })
    .await;
    let (_sender, mut receiver) = listen(&fake).await.unwrap().split();
    assert_eq!(
        receiver.recv().await.unwrap_err(),
        ProviderError::StreamFailed { provider: Provider::Deepgram, reason: "Failed to decode audio".into() }
    );
}

#[tokio::test]
async fn a_key_echoed_in_an_error_message_is_masked() {
    use base64::Engine as _;
    let echoed =
        format!("bad credentials Token {KEY} (base64 {})", base64::engine::general_purpose::STANDARD.encode(KEY));
    let error = json!({"type": "Error", "description": echoed, "variant": "AUTH-0000"});
    let fake = SocketFake::start(Vec::new(), move |mut socket| {
        let error = error.clone();
        async move {
            socket.send(text(error)).await.unwrap();
            receive_until(&mut socket, |_| false).await;
        }
    })
    .await;
    let (_sender, mut receiver) = listen(&fake).await.unwrap().split();
    let error = receiver.recv().await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::StreamFailed {
            provider: Provider::Deepgram,
            reason: "bad credentials Token •••• (base64 ••••)".into()
        }
    );
}

#[tokio::test]
async fn an_unreadable_message_is_a_decode_error() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(Message::Text("{not json".into())).await.unwrap();
        receive_until(&mut socket, |_| false).await;
    })
    .await;
    let (_sender, mut receiver) = listen(&fake).await.unwrap().split();
    let error = receiver.recv().await.unwrap_err();
    assert!(matches!(error, ProviderError::Decode { provider: Provider::Deepgram, .. }), "{error:?}");
}

#[tokio::test]
async fn a_socket_dropped_mid_stream_closed_unexpectedly() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(text(result("hel", false, false, 0.0))).await.unwrap();
        // Dropped without a close frame.
    })
    .await;
    let (mut sender, mut receiver) = listen(&fake).await.unwrap().split();
    assert!(matches!(receiver.recv().await.unwrap(), ListenEvent::Transcript { is_final: false, .. }));
    let error = receiver.recv().await.unwrap_err();
    assert_eq!(error, ProviderError::ClosedUnexpectedly { provider: Provider::Deepgram });
    assert_eq!(error.to_string(), "Deepgram closed the stream unexpectedly");
    // Sending on the dead socket fails the same way (once the OS has noticed).
    let mut failed = None;
    for _ in 0..50 {
        if let Err(error) = sender.send_audio(&[0xff; 160]).await {
            failed = Some(error);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(failed, Some(ProviderError::ClosedUnexpectedly { provider: Provider::Deepgram }));
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = DeepgramConfig { base_url: format!("http://{address}"), api_key: Secret::new(KEY) };
    let error = DeepgramClient::new(config, &fast_settings()).unwrap().listen(&ListenOptions::default()).await;
    let error = error.unwrap_err();
    assert!(matches!(error, ProviderError::Unreachable { provider: Provider::Deepgram, .. }), "{error:?}");
}

#[tokio::test]
async fn an_open_socket_outlives_the_request_timeout() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        // fast_settings bound each handshake to 500 ms; the socket itself is not bounded.
        tokio::time::sleep(std::time::Duration::from_millis(900)).await;
        socket.send(text(result("still here", true, true, 0.0))).await.unwrap();
        socket.send(close(1000, "")).await.unwrap();
    })
    .await;
    let (_sender, mut receiver) = listen(&fake).await.unwrap().split();
    assert!(matches!(receiver.recv().await.unwrap(), ListenEvent::Transcript { speech_final: true, .. }));
    assert_eq!(receiver.recv().await.unwrap(), ListenEvent::Closed);
}
