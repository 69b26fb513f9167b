//! A loopback fake of Deepgram's live STT (docs/providers.md#deepgram-live-stt): `GET /v1/listen` upgraded to a
//! WebSocket (`Authorization: Token <key>`), μ-law 8 kHz binary frames in, JSON results out,
//! timed against the audio it actually receives. A frame whose loudest sample passes a
//! threshold is speech: the first one of a stretch sends `SpeechStarted` and takes the next
//! scripted utterance; while speech lasts, interim results reveal its words; after the
//! `endpointing` silence the whole utterance comes as `is_final` + `speech_final` (or `is_final`
//! alone, to exercise the `UtteranceEnd` fallback), and `UtteranceEnd` after `utterance_end_ms`.
//! `KeepAlive` is recorded with the quiet before it, `Finalize` finalises, `CloseStream` sends
//! `Metadata` and closes; a socket that gets neither audio nor a message for 10 s is closed
//! as Deepgram does (1011, `NET-0001`). Faults: latency on every message, a socket dropped
//! after some frames, an error message.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use switchboard_audio::mulaw::decode_sample;
use tokio::task::JoinHandle;

use super::serving::{bind, serve};

/// A sample louder than this makes its frame speech.
const SPEECH_PEAK: u16 = 1000;
/// Interim results come this often while speech lasts (ms of audio).
const INTERIM_EVERY_MS: f64 = 250.0;
/// A socket with neither audio nor a message for this long is closed (docs/providers.md#deepgram-live-stt).
const IDLE_CLOSE: Duration = Duration::from_secs(10);
const IDLE_REASON: &str = "Deepgram did not receive audio data or a text message within the timeout window. \
                           See https://dpgr.am/net0001";

/// A `KeepAlive` received: when, and how long the socket had been quiet (no audio frame and
/// no message) before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    pub at: Instant,
    pub quiet: Duration,
}

/// The fake Deepgram, serving on 127.0.0.1 until dropped.
pub struct FakeDeepgram {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    api_key: String,
    utterances: Mutex<VecDeque<String>>,
    latency_ms: AtomicU64,
    speech_final: AtomicBool,
    /// How many of the next sockets drop (no close frame), and after how many audio frames.
    drops: Mutex<(u32, u64)>,
    /// The next socket sends this error message after its first audio frame.
    error_next: Mutex<Option<String>>,
    sockets: AtomicU32,
    /// When each final result with words was sent.
    finals: Mutex<Vec<Instant>>,
    keep_alives: Mutex<Vec<KeepAlive>>,
    /// Sockets closed for want of audio or messages.
    idle_closes: AtomicU32,
    audio_frames: AtomicU64,
    /// μ-law bytes received over all sockets (8 a millisecond).
    audio_bytes: AtomicU64,
    /// The `language` each socket asked for, in order (Deepgram's default, `en`, when none).
    languages: Mutex<Vec<String>>,
}

impl FakeDeepgram {
    /// Starts the fake on a free loopback port, accepting `api_key`.
    pub async fn start(api_key: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            utterances: Mutex::default(),
            latency_ms: AtomicU64::new(0),
            speech_final: AtomicBool::new(true),
            drops: Mutex::new((0, 0)),
            error_next: Mutex::new(None),
            sockets: AtomicU32::new(0),
            finals: Mutex::default(),
            keep_alives: Mutex::default(),
            idle_closes: AtomicU32::new(0),
            audio_frames: AtomicU64::new(0),
            audio_bytes: AtomicU64::new(0),
            languages: Mutex::default(),
        });
        let router = Router::new().route("/v1/listen", get(listen)).with_state(Arc::clone(&shared));
        let (listener, base_url) = bind().await?;
        let server = serve(listener, router, "Deepgram");
        Ok(Self { base_url, shared, server })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// What the caller's next stretches of speech say, in order (a stretch with none left is
    /// transcribed as nothing).
    pub fn script(&self, utterances: &[&str]) {
        lock(&self.shared.utterances).extend(utterances.iter().map(|text| (*text).to_owned()));
    }

    /// Waits this long before every message it sends.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.latency_ms.store(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Whether final results at an endpoint say `speech_final` (else only `UtteranceEnd` ends
    /// the caller's turn).
    pub fn set_speech_final(&self, on: bool) {
        self.shared.speech_final.store(on, Ordering::Relaxed);
    }

    /// The next `sockets` sockets each drop, with no close frame, after `frames` audio frames.
    pub fn drop_sockets_after(&self, sockets: u32, frames: u64) {
        *lock(&self.shared.drops) = (sockets, frames);
    }

    /// The next socket reports this error after its first audio frame.
    pub fn fail_next_socket(&self, description: &str) {
        *lock(&self.shared.error_next) = Some(description.to_owned());
    }

    /// Sockets opened so far.
    pub fn languages(&self) -> Vec<String> {
        lock(&self.shared.languages).clone()
    }

    pub fn sockets(&self) -> u32 {
        self.shared.sockets.load(Ordering::Acquire)
    }

    /// When each final result with words went out, in order (for measuring what follows it).
    pub fn finals_sent(&self) -> Vec<Instant> {
        lock(&self.shared.finals).clone()
    }

    /// Every `KeepAlive` received over all sockets, in order.
    pub fn keep_alives(&self) -> Vec<KeepAlive> {
        lock(&self.shared.keep_alives).clone()
    }

    /// Sockets closed because 10 s went by with neither audio nor a message.
    pub fn idle_closes(&self) -> u32 {
        self.shared.idle_closes.load(Ordering::Acquire)
    }

    /// Audio frames received over all sockets.
    pub fn audio_frames(&self) -> u64 {
        self.shared.audio_frames.load(Ordering::Acquire)
    }

    /// Milliseconds of μ-law audio received over all sockets (what Deepgram bills).
    pub fn audio_ms(&self) -> u64 {
        self.shared.audio_bytes.load(Ordering::Acquire) / 8
    }
}

impl Drop for FakeDeepgram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn listen(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let presented = headers.get("authorization").and_then(|value| value.to_str().ok());
    if presented != Some(format!("Token {}", shared.api_key).as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."})),
        )
            .into_response();
    }
    if query.get("encoding").map(String::as_str) != Some("mulaw")
        || query.get("sample_rate").map(String::as_str) != Some("8000")
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"err_code": "Bad Request", "err_msg": "expected mulaw at 8000 Hz"})),
        )
            .into_response();
    }
    let number = |name: &str, default: f64| query.get(name).and_then(|value| value.parse().ok()).unwrap_or(default);
    let timing =
        Timing { endpointing_ms: number("endpointing", 300.0), utterance_end_ms: number("utterance_end_ms", 1000.0) };
    lock(&shared.languages).push(query.get("language").cloned().unwrap_or_else(|| "en".to_owned()));
    shared.sockets.fetch_add(1, Ordering::AcqRel);
    let drop_after = {
        let mut drops = lock(&shared.drops);
        if drops.0 > 0 {
            drops.0 -= 1;
            drops.1
        } else {
            0
        }
    };
    let error = lock(&shared.error_next).take();
    upgrade
        .read_buffer_size(2 * 1024)
        .on_upgrade(move |socket| Transcriber::new(shared, timing, drop_after, error).run(socket))
}

#[derive(Clone, Copy)]
struct Timing {
    endpointing_ms: f64,
    utterance_end_ms: f64,
}

/// A stretch of speech being heard.
struct Speech {
    start_ms: f64,
    last_voice_ms: f64,
    words: Vec<String>,
    interim_at_ms: f64,
}

struct Transcriber {
    shared: Arc<Shared>,
    timing: Timing,
    drop_after: u64,
    error: Option<String>,
    frames: u64,
    /// Audio received so far, in ms.
    audio_ms: f64,
    speech: Option<Speech>,
    /// The end of the last word of a finished stretch, until `UtteranceEnd` is sent for it.
    utterance_end_due: Option<f64>,
}

impl Transcriber {
    fn new(shared: Arc<Shared>, timing: Timing, drop_after: u64, error: Option<String>) -> Self {
        Self { shared, timing, drop_after, error, frames: 0, audio_ms: 0.0, speech: None, utterance_end_due: None }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let mut last_heard = Instant::now();
        loop {
            let message = match tokio::time::timeout_at((last_heard + IDLE_CLOSE).into(), socket.recv()).await {
                Ok(Some(Ok(message))) => message,
                Ok(_) => return,
                Err(_) => {
                    self.shared.idle_closes.fetch_add(1, Ordering::AcqRel);
                    let _closed = socket.send(close(1011, IDLE_REASON)).await;
                    return;
                }
            };
            let quiet = last_heard.elapsed();
            if matches!(message, Message::Binary(_) | Message::Text(_)) {
                last_heard = Instant::now();
            }
            let sent = match message {
                Message::Binary(audio) => {
                    self.frames += 1;
                    self.shared.audio_frames.fetch_add(1, Ordering::AcqRel);
                    self.shared.audio_bytes.fetch_add(audio.len() as u64, Ordering::AcqRel);
                    if self.drop_after > 0 && self.frames >= self.drop_after {
                        return; // dropped: no close frame
                    }
                    if let Some(description) = self.error.take() {
                        let error =
                            json!({"type": "Error", "description": description, "message": "", "variant": "fake"});
                        let _sent = self.send(&mut socket, error).await;
                        let _closed = socket.send(close(1011, "internal error")).await;
                        return;
                    }
                    self.hear(&mut socket, &audio).await
                }
                Message::Text(text) => {
                    match serde_json::from_str::<Value>(text.as_str()).ok().as_ref().and_then(|v| v["type"].as_str()) {
                        Some("KeepAlive") => {
                            lock(&self.shared.keep_alives).push(KeepAlive { at: last_heard, quiet });
                            Ok(())
                        }
                        Some("Finalize") => self.finish_speech(&mut socket, false).await,
                        Some("CloseStream") => {
                            let _sent = self.finish_speech(&mut socket, false).await;
                            let metadata = json!({"type": "Metadata", "request_id": "fake-request", "duration": self.audio_ms / 1000.0, "channels": 1});
                            let _sent = self.send(&mut socket, metadata).await;
                            let _closed = socket.send(close(1000, "")).await;
                            return;
                        }
                        _ => Ok(()),
                    }
                }
                Message::Close(_) => return,
                Message::Ping(_) | Message::Pong(_) => Ok(()),
            };
            if sent.is_err() {
                return;
            }
        }
    }

    async fn hear(&mut self, socket: &mut WebSocket, audio: &[u8]) -> Result<(), axum::Error> {
        let chunk_ms = audio.len() as f64 / 8.0;
        let voiced = audio.iter().any(|&code| decode_sample(code).unsigned_abs() > SPEECH_PEAK);
        let now_ms = self.audio_ms;
        self.audio_ms += chunk_ms;
        if voiced {
            if self.speech.is_none() {
                let text = lock(&self.shared.utterances).pop_front().unwrap_or_default();
                let words = text.split_whitespace().map(str::to_owned).collect();
                self.speech = Some(Speech { start_ms: now_ms, last_voice_ms: now_ms, words, interim_at_ms: now_ms });
                self.utterance_end_due = None;
                self.send(socket, json!({"type": "SpeechStarted", "channel": [0], "timestamp": now_ms / 1000.0}))
                    .await?;
            }
            let speech = self.speech.as_mut().expect("just set");
            speech.last_voice_ms = self.audio_ms;
            if self.audio_ms - speech.interim_at_ms >= INTERIM_EVERY_MS && !speech.words.is_empty() {
                speech.interim_at_ms = self.audio_ms;
                let shown =
                    (1 + ((self.audio_ms - speech.start_ms) / INTERIM_EVERY_MS) as usize).min(speech.words.len());
                let interim = results(&speech.words[..shown].join(" "), false, false, speech.start_ms, self.audio_ms);
                self.send(socket, interim).await?;
            }
            return Ok(());
        }
        if self.speech.as_ref().is_some_and(|speech| self.audio_ms - speech.last_voice_ms >= self.timing.endpointing_ms)
        {
            let speech_final = self.shared.speech_final.load(Ordering::Relaxed);
            self.finish_speech(socket, speech_final).await?;
        }
        if let Some(last_word_end) = self.utterance_end_due
            && self.audio_ms - last_word_end >= self.timing.utterance_end_ms
        {
            self.utterance_end_due = None;
            let end = json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": last_word_end / 1000.0});
            self.send(socket, end).await?;
        }
        Ok(())
    }

    /// Sends the stretch of speech heard so far as a final result.
    async fn finish_speech(&mut self, socket: &mut WebSocket, speech_final: bool) -> Result<(), axum::Error> {
        let Some(speech) = self.speech.take() else { return Ok(()) };
        self.utterance_end_due = Some(speech.last_voice_ms);
        let last = results(&speech.words.join(" "), true, speech_final, speech.start_ms, speech.last_voice_ms);
        self.send(socket, last).await?;
        if !speech.words.is_empty() {
            lock(&self.shared.finals).push(Instant::now());
        }
        Ok(())
    }

    async fn send(&self, socket: &mut WebSocket, message: Value) -> Result<(), axum::Error> {
        let latency = self.shared.latency_ms.load(Ordering::Relaxed);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        socket.send(Message::Text(message.to_string().into())).await
    }
}

/// A `Results` message for `transcript`, heard from `start_ms` to `end_ms` of the audio.
fn results(transcript: &str, is_final: bool, speech_final: bool, start_ms: f64, end_ms: f64) -> Value {
    let words: Vec<Value> = transcript
        .split_whitespace()
        .map(|word| {
            json!({"word": word.to_lowercase(), "start": start_ms / 1000.0, "end": end_ms / 1000.0,
                           "confidence": 0.98, "punctuated_word": word})
        })
        .collect();
    json!({"type": "Results", "channel_index": [0, 1], "duration": (end_ms - start_ms) / 1000.0,
           "start": start_ms / 1000.0, "is_final": is_final, "speech_final": speech_final,
           "channel": {"alternatives": [{"transcript": transcript, "confidence": 0.98, "words": words}]},
           "metadata": {"request_id": "fake-request"}, "from_finalize": false})
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}
