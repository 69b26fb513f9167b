//! The answer to an Ultravox agent's `record_field` tool. Its requests carry the tool key (a
//! static header of the agent's tool, see [`UltravoxWebhookKey::tool_key`]), checked like any
//! webhook's signature: without an Ultravox webhook secret the route answers 503, without the
//! right key 403. It only acknowledges: the values are read after the call from Ultravox's own
//! record of it (the call's messages, fetched with our API key), so a request here cannot put a
//! value on a call. A body without a key is answered 400 with a sentence the model can act on.
//!
//! [`UltravoxWebhookKey::tool_key`]: switchboard_providers::signature::UltravoxWebhookKey::tool_key

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use switchboard_providers::Provider;
use switchboard_providers::signature::ULTRAVOX_TOOL_KEY_HEADER;

use super::ListenerState;
use super::ingest::request_id;
use super::verify::{Refusal, text};
use crate::backends::ultravox::ULTRAVOX_TOOL_PATH;

/// The tool's route.
pub(super) fn routes() -> Router<Arc<ListenerState>> {
    Router::new().route(ULTRAVOX_TOOL_PATH, post(record_field))
}

async fn record_field(State(state): State<Arc<ListenerState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = verify_tool_key(&state, &headers) {
        return refusal.respond(&state, request_id(&headers), ULTRAVOX_TOOL_PATH);
    }
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    let key = body.as_ref().and_then(|body| body.get("key")).and_then(Value::as_str).map(str::trim);
    match key {
        Some(key) if !key.is_empty() => (StatusCode::OK, "Recorded.").into_response(),
        _ => (StatusCode::BAD_REQUEST, "Give the key of the value to record.").into_response(),
    }
}

fn verify_tool_key(state: &ListenerState, headers: &HeaderMap) -> Result<(), Refusal> {
    let providers = state.providers.current();
    let key = providers.webhook_keys.ultravox.as_ref().ok_or(Refusal::NotConfigured(Provider::Ultravox))?;
    key.verify_tool_key(text(headers, ULTRAVOX_TOOL_KEY_HEADER))
        .map_err(|reason| Refusal::Signature(Provider::Ultravox, reason))
}
