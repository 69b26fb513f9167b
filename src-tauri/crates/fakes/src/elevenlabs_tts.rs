//! A loopback fake of ElevenLabs' `stream-input` TTS WebSocket (docs/providers.md#elevenlabs-tts):
//! `/v1/text-to-speech/{voice_id}/stream-input?model_id=…&output_format=ulaw_8000` with
//! `xi-api-key`. It takes the opening message, then text; on `flush` (or the closing `""`) it
//! speaks what it holds as μ-law 8 kHz audio whose length follows the text (a fixed time per
//! character), in chunks of a few characters each with its `alignment` and
//! `normalizedAlignment`; after `""` it sends `{"isFinal": true}` and closes. Faults: latency
//! before each audio message, a socket dropped after some audio messages, an error message.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use switchboard_audio::mulaw::encode_sample;
use tokio::task::JoinHandle;

use super::serving::{bind, serve};

/// Characters per audio message.
const CHARS_PER_CHUNK: usize = 12;

/// The fake ElevenLabs TTS, serving on 127.0.0.1 until dropped.
pub struct FakeElevenLabsTts {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    api_key: String,
    ms_per_char: AtomicU64,
    latency_ms: AtomicU64,
    /// How many of the next sockets drop (no close frame), and after how many audio messages.
    drops: Mutex<(u32, u32)>,
    error_next: Mutex<Option<String>>,
    sockets: AtomicU32,
    /// Every text spoken (per flush), in order.
    spoken: Mutex<Vec<String>>,
    /// Each socket's `model_id` and `language_code`, in order.
    models: Mutex<Vec<(String, Option<String>)>>,
}

impl FakeElevenLabsTts {
    /// Starts the fake on a free loopback port, accepting `api_key`; each character takes
    /// `ms_per_char` of audio.
    pub async fn start(api_key: &str, ms_per_char: u64) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            ms_per_char: AtomicU64::new(ms_per_char),
            latency_ms: AtomicU64::new(0),
            drops: Mutex::new((0, 0)),
            error_next: Mutex::new(None),
            sockets: AtomicU32::new(0),
            spoken: Mutex::default(),
            models: Mutex::default(),
        });
        let router = Router::new()
            .route("/v1/text-to-speech/{voice_id}/stream-input", get(stream_input))
            .with_state(Arc::clone(&shared));
        let (listener, base_url) = bind().await?;
        let server = serve(listener, router, "ElevenLabs TTS");
        Ok(Self { base_url, shared, server })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Waits this long before each audio message.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.latency_ms.store(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The next `sockets` sockets each drop, with no close frame, after `messages` audio messages.
    pub fn drop_sockets_after(&self, sockets: u32, messages: u32) {
        *self.shared.drops.lock().unwrap_or_else(PoisonError::into_inner) = (sockets, messages);
    }

    /// The next socket answers its first text with this error message.
    pub fn fail_next_socket(&self, error: &str) {
        *self.shared.error_next.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.to_owned());
    }

    /// Each socket's `model_id` and `language_code`, in order.
    pub fn models(&self) -> Vec<(String, Option<String>)> {
        self.shared.models.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn sockets(&self) -> u32 {
        self.shared.sockets.load(Ordering::Acquire)
    }

    /// Every text spoken, one entry per flush, in order.
    pub fn spoken(&self) -> Vec<String> {
        self.shared.spoken.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for FakeElevenLabsTts {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn stream_input(
    State(shared): State<Arc<Shared>>,
    Path(voice_id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if headers.get("xi-api-key").and_then(|value| value.to_str().ok()) != Some(shared.api_key.as_str()) {
        let body = json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    if voice_id.trim().is_empty() || query.get("output_format").map(String::as_str) != Some("ulaw_8000") {
        let body = json!({"detail": {"status": "invalid_request", "message": "a voice and output_format=ulaw_8000 are expected"}});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let model = (query.get("model_id").cloned().unwrap_or_default(), query.get("language_code").cloned());
    shared.models.lock().unwrap_or_else(PoisonError::into_inner).push(model);
    shared.sockets.fetch_add(1, Ordering::AcqRel);
    let drop_after = {
        let mut drops = shared.drops.lock().unwrap_or_else(PoisonError::into_inner);
        if drops.0 > 0 {
            drops.0 -= 1;
            drops.1
        } else {
            0
        }
    };
    let error = shared.error_next.lock().unwrap_or_else(PoisonError::into_inner).take();
    upgrade.read_buffer_size(8 * 1024).on_upgrade(move |socket| speak(shared, socket, drop_after, error))
}

async fn speak(shared: Arc<Shared>, mut socket: WebSocket, drop_after: u32, mut error: Option<String>) {
    let mut opened = false;
    let mut held = String::new();
    let mut sent = 0_u32;
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            if matches!(message, Message::Close(_)) {
                return;
            }
            continue;
        };
        let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else { continue };
        let text = message["text"].as_str().unwrap_or_default();
        if !opened {
            opened = true;
            continue; // the opening message: a space and the settings
        }
        if let Some(error) = error.take() {
            let _sent =
                socket.send(Message::Text(json!({"error": error, "message": "fake failure"}).to_string().into())).await;
            let _closed = socket.send(close(1011, "error")).await;
            return;
        }
        let end = text.is_empty();
        held.push_str(text);
        if (message["flush"] == json!(true) || end) && !held.trim().is_empty() {
            let words = std::mem::take(&mut held);
            shared.spoken.lock().unwrap_or_else(PoisonError::into_inner).push(words.trim().to_owned());
            for chunk in chunks(words.trim_start(), CHARS_PER_CHUNK) {
                let latency = shared.latency_ms.load(Ordering::Relaxed);
                if latency > 0 {
                    tokio::time::sleep(Duration::from_millis(latency)).await;
                }
                let audio = audio_message(&chunk, shared.ms_per_char.load(Ordering::Relaxed));
                if socket.send(Message::Text(audio.to_string().into())).await.is_err() {
                    return;
                }
                sent += 1;
                if drop_after > 0 && sent >= drop_after {
                    return; // dropped: no close frame
                }
            }
        }
        if end {
            let _sent = socket.send(Message::Text(json!({"isFinal": true}).to_string().into())).await;
            let _closed = socket.send(close(1000, "")).await;
            return;
        }
    }
}

/// `text` in pieces of `size` characters.
fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|piece| piece.iter().collect()).collect()
}

/// 50 ms of a 440 Hz tone in μ-law: 22 whole periods, so it repeats seamlessly.
static TONE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    (0..400)
        .map(|n| {
            let phase = f64::from(n) * 440.0 * std::f64::consts::TAU / 8000.0;
            encode_sample((phase.sin() * 8000.0) as i16)
        })
        .collect()
});

/// An audio message speaking `text`: a 440 Hz tone, `ms_per_char` per character.
fn audio_message(text: &str, ms_per_char: u64) -> Value {
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let samples = chars.len() * usize::try_from(ms_per_char * 8).unwrap_or(usize::MAX);
    let audio: Vec<u8> = TONE.iter().copied().cycle().take(samples).collect();
    let step = ms_per_char as f64;
    let starts: Vec<f64> = (0..chars.len()).map(|i| i as f64 * step).collect();
    let alignment = json!({"chars": chars, "charStartTimesMs": starts, "charDurationsMs": vec![step; chars.len()]});
    json!({"audio": BASE64.encode(audio), "isFinal": null, "normalizedAlignment": alignment, "alignment": alignment})
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}
