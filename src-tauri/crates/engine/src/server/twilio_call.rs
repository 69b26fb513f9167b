//! Twilio's live-call endpoints: the voice URL (answered with TwiML) and the media stream
//! WebSocket. Both are signed; neither goes to the inbox.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use switchboard_providers::signature::{SignedBody, websocket_url};
use switchboard_providers::twilio::TwimlResponse;

use super::ListenerState;
use super::ingest::request_id;
use super::routes::{TWILIO_MEDIA_PATH, TWILIO_VOICE_PATH};
use super::verify::{public_url, twilio_body, verify_twilio};
use crate::pipeline::serve_media;

/// Media messages are about 300 bytes, 50 a second, and tungstenite zero-fills its whole read
/// buffer (128 KiB by default) before every read: a small one keeps that cheap.
const MEDIA_READ_BUFFER_BYTES: usize = 8 * 1024;

/// Twilio's voice URL. A placeholder until the Twilio-driven backends exist: an empty
/// `<Response/>` (Twilio ends the call when it runs out of verbs). Those backends will answer
/// with `<Connect><Stream>` to [`TWILIO_MEDIA_PATH`] or a `<Gather>`.
pub(super) async fn voice(
    State(state): State<Arc<ListenerState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = public_url(&state, &uri);
    if let Err(refusal) = verify_twilio(&state, &url, &headers, twilio_body(&headers, &body)) {
        return refusal.respond(request_id(&headers), TWILIO_VOICE_PATH);
    }
    let twiml = TwimlResponse::new().render().expect("an empty response is valid TwiML");
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml.to_string()).into_response()
}

/// The media stream upgrade, signed over the `wss://` form of the public URL. The stream goes
/// to the realtime pipeline, which runs the call its `start` message names (with the call's
/// token) and closes any other.
pub(super) async fn media(
    State(state): State<Arc<ListenerState>>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let request_id = request_id(&headers).to_owned();
    let url = websocket_url(&public_url(&state, &uri));
    if let Err(refusal) = verify_twilio(&state, &url, &headers, SignedBody::Empty) {
        return refusal.respond(&request_id, TWILIO_MEDIA_PATH);
    }
    let (sessions, audio) = (state.pipeline.clone(), state.live_audio.clone());
    upgrade
        .read_buffer_size(MEDIA_READ_BUFFER_BYTES)
        .on_upgrade(move |socket| serve_media(socket, sessions, audio, request_id))
}
