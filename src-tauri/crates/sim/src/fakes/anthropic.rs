//! A loopback fake of the Anthropic Messages API, streamed (PROVIDERS.md §8): `POST
//! /v1/messages` with `x-api-key` and `anthropic-version` answers `text/event-stream` with
//! `message_start`, each content block (`text_delta` chunks, or a `tool_use` block whose input
//! arrives in `input_json_delta` parts), `message_delta` with the stop reason and
//! `message_stop`, a `ping` among them. What the model says is a [`Responder`]'s: the fake plays
//! the agent (see [`QuoteAgent`]). Faults: latency before the answer, 429 with `Retry-After`,
//! 529 overloaded, a mid-stream `error` event, and a full outage (every request 500).

mod quote_agent;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub use quote_agent::QuoteAgent;

/// One content block of a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBlock {
    Text(String),
    /// A tool call: its name and input.
    ToolUse {
        name: String,
        input: Value,
    },
}

/// What the model answers one request with.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub blocks: Vec<ReplyBlock>,
}

impl Reply {
    /// `end_turn` when it only talks, `tool_use` when it calls a tool.
    fn stop_reason(&self) -> &'static str {
        if self.blocks.iter().any(|block| matches!(block, ReplyBlock::ToolUse { .. })) {
            "tool_use"
        } else {
            "end_turn"
        }
    }
}

/// Plays the model: answers a request body (`system`, `messages`, `tools`) with a reply.
pub trait Responder: Send + Sync + 'static {
    fn respond(&self, request: &Value) -> Reply;
}

/// Faults for the next requests, and an outage switch.
#[derive(Default)]
struct Faults {
    rate_limited: AtomicU32,
    overloaded: AtomicU32,
    broken_streams: AtomicU32,
    outage: AtomicBool,
}

struct Shared {
    api_key: String,
    responder: Arc<dyn Responder>,
    latency_ms: AtomicU64,
    faults: Faults,
    requests: Mutex<Vec<Value>>,
    next_id: AtomicU32,
}

/// The fake Anthropic API, serving on 127.0.0.1 until dropped.
pub struct FakeAnthropic {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl FakeAnthropic {
    /// Starts the fake on a free loopback port, accepting `api_key`, answering with `responder`.
    pub async fn start(api_key: &str, responder: Arc<dyn Responder>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            responder,
            latency_ms: AtomicU64::new(0),
            faults: Faults::default(),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU32::new(1),
        });
        let router = Router::new().route("/v1/messages", post(messages)).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "the fake Anthropic stopped");
            }
        });
        Ok(Self { base_url, shared, server })
    }

    /// The base URL to give the client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Waits this long before each answer begins.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.latency_ms.store(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Answers the next `count` requests 429 with `Retry-After: 1`.
    pub fn rate_limit_next(&self, count: u32) {
        self.shared.faults.rate_limited.store(count, Ordering::Release);
    }

    /// Answers the next `count` requests 529 `overloaded_error`.
    pub fn overload_next(&self, count: u32) {
        self.shared.faults.overloaded.store(count, Ordering::Release);
    }

    /// Breaks the next `count` streams with an `error` event after `message_start`.
    pub fn break_next_streams(&self, count: u32) {
        self.shared.faults.broken_streams.store(count, Ordering::Release);
    }

    /// While on, every request is answered 500 (the API is down).
    pub fn set_outage(&self, down: bool) {
        self.shared.faults.outage.store(down, Ordering::Release);
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

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"type": "error", "error": {"type": kind, "message": message}});
    (status, axum::Json(body)).into_response()
}

async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if text("x-api-key") != Some(shared.api_key.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key");
    }
    if text("anthropic-version") != Some("2023-06-01") {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "anthropic-version: 2023-06-01 is required");
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "the body is not JSON");
    };
    if request["stream"] != json!(true) || !request["messages"].is_array() || request["model"].as_str().is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "model, messages and stream: true are required",
        );
    }
    shared.requests.lock().unwrap_or_else(PoisonError::into_inner).push(request.clone());
    tokio::time::sleep(Duration::from_millis(shared.latency_ms.load(Ordering::Relaxed))).await;
    let faults = &shared.faults;
    let take =
        |counter: &AtomicU32| counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok();
    if faults.outage.load(Ordering::Acquire) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Internal server error");
    }
    if take(&faults.rate_limited) {
        let body = json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}});
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], axum::Json(body)).into_response();
    }
    if take(&faults.overloaded) {
        return error(StatusCode::from_u16(529).expect("a valid status"), "overloaded_error", "Overloaded");
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let events = if take(&faults.broken_streams) {
        let mut events = vec![message_start(id, &request)];
        events.push(sse(
            "error",
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ));
        events
    } else {
        stream(id, &request, &shared.responder.respond(&request))
    };
    ([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], events.concat())
        .into_response()
}

fn sse(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

fn message_start(id: u32, request: &Value) -> String {
    let message = json!({"id": format!("msg_fake{id:04}"), "type": "message", "role": "assistant", "content": [],
        "model": request["model"], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": request.to_string().len() / 4, "output_tokens": 1}});
    sse("message_start", &json!({"type": "message_start", "message": message}))
}

/// The SSE events of `reply`: text in word-sized deltas, tool input in three JSON parts.
fn stream(id: u32, request: &Value, reply: &Reply) -> Vec<String> {
    let mut events = vec![message_start(id, request), sse("ping", &json!({"type": "ping"}))];
    let mut output_tokens = 0;
    for (index, block) in reply.blocks.iter().enumerate() {
        match block {
            ReplyBlock::Text(text) => {
                let start = json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}});
                events.push(sse("content_block_start", &start));
                for piece in text.split_inclusive(' ') {
                    output_tokens += 1;
                    let delta = json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "text_delta", "text": piece}});
                    events.push(sse("content_block_delta", &delta));
                }
            }
            ReplyBlock::ToolUse { name, input } => {
                let block =
                    json!({"type": "tool_use", "id": format!("toolu_fake{id:04}_{index}"), "name": name, "input": {}});
                events.push(sse(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": index, "content_block": block}),
                ));
                let json = input.to_string();
                let cut = |n: usize| {
                    json.char_indices().map(|(at, _)| at).nth(json.chars().count() * n / 3).unwrap_or(json.len())
                };
                for (from, to) in [(0, cut(1)), (cut(1), cut(2)), (cut(2), json.len())] {
                    output_tokens += 1;
                    let delta = json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": &json[from..to]}});
                    events.push(sse("content_block_delta", &delta));
                }
            }
        }
        events.push(sse("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
    }
    let delta = json!({"type": "message_delta", "delta": {"stop_reason": reply.stop_reason(), "stop_sequence": null},
        "usage": {"output_tokens": output_tokens}});
    events.push(sse("message_delta", &delta));
    events.push(sse("message_stop", &json!({"type": "message_stop"})));
    events
}
