//! The ElevenLabs TTS stream-input client against a loopback ElevenLabs: the documented URL,
//! key header and messages, base64 audio decoded to μ-law bytes as it comes, and every way the
//! socket can end.

use axum::extract::ws::Message;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use switchboard_providers::elevenlabs::ElevenLabsConfig;
use switchboard_providers::elevenlabs_tts::{
    Alignment, ElevenLabsTtsClient, TtsEvent, TtsOptions, TtsStream, VoiceSettings,
};
use switchboard_providers::{Provider, ProviderError, Secret};
use tokio::sync::mpsc;

use crate::support::fast_settings;
use switchboard_fakes::scripted_socket::{Refusal, SocketFake, close, receive_until, text};

const KEY: &str = "xi-secret-key";

fn client(fake: &SocketFake) -> ElevenLabsTtsClient {
    let config = ElevenLabsConfig { base_url: fake.base_url.clone(), api_key: Secret::new(KEY) };
    ElevenLabsTtsClient::new(config, &fast_settings()).unwrap()
}

fn options() -> TtsOptions {
    TtsOptions::new("voice_1", "eleven_flash_v2_5")
}

async fn open(fake: &SocketFake) -> Result<TtsStream, ProviderError> {
    client(fake).stream_input(&options()).await
}

fn is_end_of_text(message: &Message) -> bool {
    matches!(message, Message::Text(text) if text.as_str() == r#"{"text":""}"#)
}

fn audio(bytes: &[u8]) -> serde_json::Value {
    json!({"audio": BASE64.encode(bytes), "isFinal": null,
           "normalizedAlignment": {"charStartTimesMs": [0, 40], "charDurationsMs": [40, 50], "chars": ["H", "i"]},
           "alignment": {"charStartTimesMs": [0, 40], "charDurationsMs": [40, 50], "chars": ["H", "i"]}})
}

async fn collect(receiver: &mut switchboard_providers::elevenlabs_tts::TtsReceiver) -> Vec<TtsEvent> {
    let mut events = Vec::new();
    loop {
        let event = receiver.recv().await.unwrap();
        events.push(event.clone());
        if event == TtsEvent::Closed {
            return events;
        }
    }
}

#[tokio::test]
async fn text_goes_in_and_decoded_mulaw_comes_out() {
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let fake = SocketFake::start(Vec::new(), move |mut socket| {
        let seen = seen_tx.clone();
        async move {
            seen.send(receive_until(&mut socket, is_end_of_text).await).unwrap();
            socket.send(text(audio(&[0xff, 0x7f, 0x00]))).await.unwrap();
            let older_spelling = json!({"audio": BASE64.encode([0x10; 160]),
                "alignment": {"charStartTimesMs": [0], "charsDurationsMs": [80], "chars": ["!"]}});
            socket.send(text(older_spelling)).await.unwrap();
            socket.send(text(json!({"audio": null, "isFinal": true, "normalizedAlignment": null}))).await.unwrap();
            socket.send(close(1000, "")).await.unwrap();
        }
    })
    .await;

    let options = TtsOptions {
        voice_settings: Some(VoiceSettings {
            stability: Some(0.5),
            similarity_boost: Some(0.8),
            speed: Some(1.1),
            ..VoiceSettings::default()
        }),
        ..options()
    };
    let (mut sender, mut receiver) = client(&fake).stream_input(&options).await.unwrap().split();
    sender.send_text("Hello world.").await.unwrap();
    sender.send_text("How are you? ").await.unwrap();
    sender.send_text("").await.unwrap();
    sender.flush().await.unwrap();
    sender.keep_alive().await.unwrap();
    sender.finish().await.unwrap();

    let hi = Alignment {
        chars: vec!["H".into(), "i".into()],
        char_start_times_ms: vec![0.0, 40.0],
        char_durations_ms: vec![40.0, 50.0],
    };
    let bang = Alignment { chars: vec!["!".into()], char_start_times_ms: vec![0.0], char_durations_ms: vec![80.0] };
    assert_eq!(
        collect(&mut receiver).await,
        [
            TtsEvent::Audio { mulaw: vec![0xff, 0x7f, 0x00], alignment: Some(hi) },
            TtsEvent::Audio { mulaw: vec![0x10; 160], alignment: Some(bang) },
            TtsEvent::Final,
            TtsEvent::Closed,
        ]
    );
    assert_eq!(receiver.recv().await.unwrap(), TtsEvent::Closed, "Closed stays closed");

    let seen = seen_rx.recv().await.unwrap();
    let texts: Vec<&str> = seen
        .iter()
        .map(|message| match message {
            Message::Text(text) => text.as_str(),
            other => panic!("not a text frame: {other:?}"),
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(texts[0]).unwrap(),
        json!({"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.8, "speed": 1.1},
               "generation_config": {"chunk_length_schedule": [120, 160, 250, 290]}})
    );
    assert_eq!(
        texts[1..],
        [
            r#"{"text":"Hello world. "}"#,
            r#"{"text":"How are you? "}"#,
            r#"{"text":" ","flush":true}"#,
            r#"{"text":" "}"#,
            r#"{"text":""}"#
        ]
    );
    let handshake = fake.single();
    assert_eq!(
        handshake.uri,
        "/v1/text-to-speech/voice_1/stream-input?model_id=eleven_flash_v2_5&output_format=ulaw_8000"
    );
    assert_eq!(handshake.header("xi-api-key"), Some(KEY));
}

#[tokio::test]
async fn audio_and_is_final_in_one_message_come_out_as_both() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(text(json!({"audio": BASE64.encode([1, 2, 3]), "isFinal": true}))).await.unwrap();
        socket.send(close(1000, "")).await.unwrap();
    })
    .await;
    let (_sender, mut receiver) = open(&fake).await.unwrap().split();
    assert_eq!(
        collect(&mut receiver).await,
        [TtsEvent::Audio { mulaw: vec![1, 2, 3], alignment: None }, TtsEvent::Final, TtsEvent::Closed]
    );
}

#[tokio::test]
async fn a_401_is_surfaced_at_once_and_a_429_is_retried() {
    let unauthorized = Refusal { status: 401, retry_after: None, body: r#"{"detail":{"status":"invalid_api_key"}}"# };
    let fake = SocketFake::start(vec![unauthorized], |_socket| async {}).await;
    let error = open(&fake).await.unwrap_err();
    assert_eq!((error.provider(), error.status()), (Provider::ElevenLabs, Some(401)));
    assert!(!error.to_string().contains(KEY));
    assert_eq!(fake.handshakes().len(), 1);

    let busy = Refusal { status: 429, retry_after: Some("0"), body: "too_many_concurrent_requests" };
    let fake = SocketFake::start(vec![busy], |mut socket| async move {
        receive_until(&mut socket, is_end_of_text).await;
        socket.send(close(1000, "")).await.unwrap();
    })
    .await;
    let options = TtsOptions { inactivity_timeout_secs: Some(60), ..options() };
    let (sender, mut receiver) = client(&fake).stream_input(&options).await.unwrap().split();
    sender.finish().await.unwrap();
    assert_eq!(receiver.recv().await.unwrap(), TtsEvent::Closed);
    let handshakes = fake.handshakes();
    assert_eq!(handshakes.len(), 2);
    assert!(
        handshakes.iter().all(|handshake| handshake.uri.ends_with("output_format=ulaw_8000&inactivity_timeout=60"))
    );
}

#[tokio::test]
async fn an_error_message_or_error_close_is_a_stream_failure_naming_elevenlabs() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        let error = json!({"message": "Voice not found", "error": "voice_not_found", "code": 1008});
        socket.send(text(error)).await.unwrap();
        receive_until(&mut socket, |_| false).await;
    })
    .await;
    let (_sender, mut receiver) = open(&fake).await.unwrap().split();
    let failure = ProviderError::StreamFailed {
        provider: Provider::ElevenLabs,
        reason: "voice_not_found: Voice not found".into(),
    };
    assert_eq!(receiver.recv().await.unwrap_err(), failure);
    assert_eq!(receiver.recv().await.unwrap_err(), failure, "the end is sticky");

    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(close(1008, "Have not received new text for 20 seconds. Closing connection")).await.unwrap();
    })
    .await;
    let (_sender, mut receiver) = open(&fake).await.unwrap().split();
    assert_eq!(
        receiver.recv().await.unwrap_err(),
        ProviderError::StreamFailed {
            provider: Provider::ElevenLabs,
            reason: "close code 1008: Have not received new text for 20 seconds. Closing connection".into()
        }
    );
}

#[tokio::test]
async fn audio_that_is_not_base64_is_a_decode_error() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(text(json!({"audio": "not base64!"}))).await.unwrap();
        receive_until(&mut socket, |_| false).await;
    })
    .await;
    let (_sender, mut receiver) = open(&fake).await.unwrap().split();
    let error = receiver.recv().await.unwrap_err();
    assert!(matches!(error, ProviderError::Decode { provider: Provider::ElevenLabs, .. }), "{error:?}");
}

#[tokio::test]
async fn a_socket_dropped_mid_stream_closed_unexpectedly() {
    let fake = SocketFake::start(Vec::new(), |mut socket| async move {
        socket.send(text(audio(&[0xff; 160]))).await.unwrap();
    })
    .await;
    let (_sender, mut receiver) = open(&fake).await.unwrap().split();
    assert!(matches!(receiver.recv().await.unwrap(), TtsEvent::Audio { .. }));
    assert_eq!(
        receiver.recv().await.unwrap_err(),
        ProviderError::ClosedUnexpectedly { provider: Provider::ElevenLabs }
    );
}

#[tokio::test]
async fn a_voice_id_cannot_leave_its_path_segment() {
    let fake = SocketFake::start(Vec::new(), |_socket| async {}).await;
    let options = TtsOptions::new("../../v1/user", "eleven_flash_v2_5");
    let error = client(&fake).stream_input(&options).await.unwrap_err();
    assert!(matches!(error, ProviderError::InvalidRequest { provider: Provider::ElevenLabs, .. }), "{error:?}");
    assert!(fake.handshakes().is_empty());
}
