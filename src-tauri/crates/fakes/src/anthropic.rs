//! A loopback fake of Anthropic's Messages API, streamed (docs/providers.md#anthropic-messages): `POST /v1/messages`
//! with `x-api-key` and `anthropic-version` answers SSE — `message_start`, a `ping`, per block
//! `content_block_start` → `text_delta`s or `input_json_delta` chunks → `content_block_stop`,
//! `message_delta` with the stop reason, `message_stop`. What it answers comes from a
//! responder given each request (scripted replies, or code reading the conversation). Faults:
//! latency before the first event and between events, a status error (529 overloaded, 500),
//! an `error` event mid-stream, a stream cut short.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::serving::{bind, serve};

/// The API version the API and Anthropic's official SDKs speak (`anthropic-version`); the
/// API refuses any other.
const API_VERSION: &str = "2023-06-01";

/// One block of a reply.
/// The input tokens every fake message reports in its `message_start` usage.
pub const INPUT_TOKENS: u32 = 120;

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    Tool { name: String, input: Value },
}

/// What the model answers to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub blocks: Vec<Block>,
}

impl Reply {
    pub fn text(text: &str) -> Self {
        Self::default().and_text(text)
    }

    pub fn and_text(mut self, text: &str) -> Self {
        self.blocks.push(Block::Text(text.to_owned()));
        self
    }

    pub fn and_tool(mut self, name: &str, input: Value) -> Self {
        self.blocks.push(Block::Tool { name: name.to_owned(), input });
        self
    }

    fn calls_tools(&self) -> bool {
        self.blocks.iter().any(|block| matches!(block, Block::Tool { .. }))
    }
}

/// Answers a request (its JSON body).
pub type Responder = Box<dyn Fn(&Value) -> Reply + Send + Sync>;

/// Replies in order, one per request; once they run out, a goodbye.
pub fn scripted(replies: Vec<Reply>) -> Responder {
    let replies = Mutex::new(VecDeque::from(replies));
    Box::new(move |_| {
        replies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            .unwrap_or_else(|| Reply::text("Thank you, goodbye."))
    })
}

/// The text of the last user message of a request (its text blocks joined), for responders.
pub fn last_user_text(request: &Value) -> String {
    let messages = request["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
    let Some(last) = messages.iter().rev().find(|message| message["role"] == "user") else { return String::new() };
    last["content"]
        .as_array()
        .map(|blocks| blocks.iter().filter_map(|block| block["text"].as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The fake Anthropic API, serving on 127.0.0.1 until dropped.
pub struct FakeAnthropic {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    api_key: String,
    responder: Responder,
    requests: Mutex<Vec<Value>>,
    first_event_ms: AtomicU64,
    between_events_ms: AtomicU64,
    /// Status of the next answers (529 or 500), and how many.
    failing: Mutex<Option<(StatusCode, u32)>>,
    errors_mid_stream: AtomicU32,
    cut_short: AtomicU32,
    next_id: AtomicU32,
}

impl FakeAnthropic {
    /// Starts the fake on a free loopback port, accepting `api_key`, answering with `responder`.
    pub async fn start(api_key: &str, responder: Responder) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            responder,
            requests: Mutex::default(),
            first_event_ms: AtomicU64::new(0),
            between_events_ms: AtomicU64::new(0),
            failing: Mutex::new(None),
            errors_mid_stream: AtomicU32::new(0),
            cut_short: AtomicU32::new(0),
            next_id: AtomicU32::new(1),
        });
        let router = Router::new().route("/v1/messages", post(messages)).with_state(Arc::clone(&shared));
        let (listener, base_url) = bind().await?;
        let server = serve(listener, router, "Anthropic");
        Ok(Self { base_url, shared, server })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Waits `first` before the first event and `between` between the others.
    pub fn set_latency(&self, first: Duration, between: Duration) {
        let ms = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self.shared.first_event_ms.store(ms(first), Ordering::Relaxed);
        self.shared.between_events_ms.store(ms(between), Ordering::Relaxed);
    }

    /// Answers the next `count` requests with `status` (529: overloaded, 500) instead of a stream.
    pub fn fail_next(&self, status: u16, count: u32) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        *self.shared.failing.lock().unwrap_or_else(PoisonError::into_inner) = Some((status, count));
    }

    /// The next `count` streams end with an `overloaded_error` event after their first text.
    pub fn error_mid_stream_next(&self, count: u32) {
        self.shared.errors_mid_stream.store(count, Ordering::Release);
    }

    /// The next `count` streams stop after their first text, without `message_stop`.
    pub fn cut_short_next(&self, count: u32) {
        self.shared.cut_short.store(count, Ordering::Release);
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn take(counter: &AtomicU32) -> bool {
    counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok()
}

async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let error = |status: StatusCode, kind: &str, message: &str| {
        (status, axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}}))).into_response()
    };
    if headers.get("x-api-key").and_then(|value| value.to_str().ok()) != Some(shared.api_key.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key");
    }
    match headers.get("anthropic-version").and_then(|value| value.to_str().ok()) {
        None => return error(StatusCode::BAD_REQUEST, "invalid_request_error", "anthropic-version header is required"),
        Some(API_VERSION) => {}
        Some(_) => {
            return error(StatusCode::BAD_REQUEST, "invalid_request_error", "anthropic-version: unknown version");
        }
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "the body is not JSON");
    };
    if request["stream"] != json!(true) || !request["messages"].is_array() {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "expected a streamed request with messages");
    }
    if request["messages"].as_array().and_then(|messages| messages.first()).is_some_and(|first| first["role"] != "user")
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "messages: the first message must use the user role",
        );
    }
    shared.requests.lock().unwrap_or_else(PoisonError::into_inner).push(request.clone());
    {
        let mut failing = shared.failing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((status, count)) = failing.as_mut() {
            let status = *status;
            *count -= 1;
            if *count == 0 {
                *failing = None;
            }
            return if status.as_u16() == 529 {
                error(status, "overloaded_error", "Overloaded")
            } else {
                error(status, "api_error", "Internal server error")
            };
        }
    }
    let reply = (shared.responder)(&request);
    let id = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let fault = if take(&shared.errors_mid_stream) {
        Some(Fault::Error)
    } else if take(&shared.cut_short) {
        Some(Fault::CutShort)
    } else {
        None
    };
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    tokio::spawn(stream_reply(
        Arc::clone(&shared),
        id,
        request["model"].as_str().unwrap_or("claude").to_owned(),
        reply,
        fault,
        sender,
    ));
    let body = Body::from_stream(futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), receiver))
    }));
    ([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    Error,
    CutShort,
}

async fn stream_reply(
    shared: Arc<Shared>,
    id: u32,
    model: String,
    reply: Reply,
    fault: Option<Fault>,
    out: mpsc::Sender<Bytes>,
) {
    let first = shared.first_event_ms.load(Ordering::Relaxed);
    let between = Duration::from_millis(shared.between_events_ms.load(Ordering::Relaxed));
    tokio::time::sleep(Duration::from_millis(first)).await;
    let mut events = vec![
        json!({"type": "message_start", "message": {"id": format!("msg_fake_{id}"), "type": "message", "role": "assistant",
               "content": [], "model": model, "stop_reason": null, "stop_sequence": null,
               "usage": {"input_tokens": INPUT_TOKENS, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                         "output_tokens": 1}}}),
        json!({"type": "ping"}),
    ];
    let mut output_tokens = 1;
    let mut first_text_at = None;
    for (index, block) in reply.blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                events.push(json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}));
                for piece in pieces(text, 3) {
                    output_tokens += 1;
                    events.push(json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}));
                    first_text_at.get_or_insert(events.len());
                }
            }
            Block::Tool { name, input } => {
                events.push(json!({"type": "content_block_start", "index": index,
                    "content_block": {"type": "tool_use", "id": format!("toolu_fake_{id}_{index}"), "name": name, "input": {}}}));
                let json = input.to_string();
                let third = json.len().div_ceil(3).max(1);
                let mut at = 0;
                while at < json.len() {
                    let mut end = (at + third).min(json.len());
                    while !json.is_char_boundary(end) {
                        end += 1;
                    }
                    output_tokens += 1;
                    events.push(json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": &json[at..end]}}));
                    at = end;
                }
            }
        }
        events.push(json!({"type": "content_block_stop", "index": index}));
    }
    let stop_reason = if reply.calls_tools() { "tool_use" } else { "end_turn" };
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                       "usage": {"output_tokens": output_tokens}}));
    events.push(json!({"type": "message_stop"}));
    let cut_at = fault.map(|_| first_text_at.unwrap_or(2));
    for (n, event) in events.iter().enumerate() {
        if Some(n) == cut_at {
            if fault == Some(Fault::Error) {
                let error = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
                let _sent = out.send(sse(&error)).await;
            }
            return;
        }
        if n > 0 && !between.is_zero() {
            tokio::time::sleep(between).await;
        }
        if out.send(sse(event)).await.is_err() {
            return; // the client hung up: generation stops
        }
    }
}

fn sse(data: &Value) -> Bytes {
    Bytes::from(format!("event: {}\ndata: {data}\n\n", data["type"].as_str().unwrap_or("message")))
}

/// `text` in pieces of about `words` words each, spaces kept with the word that follows.
fn pieces(text: &str, words: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut count = 0;
    for (at, c) in text.char_indices() {
        if c == ' ' && at > 0 {
            count += 1;
            if count == words {
                pieces.push(std::mem::take(&mut current));
                count = 0;
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}
