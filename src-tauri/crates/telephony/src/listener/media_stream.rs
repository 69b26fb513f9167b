//! The media stream WebSocket Twilio opens for a pipeline call (or a monitor fork of a hosted
//! one), signed over the `wss://` form of the public URL; the stream goes to the realtime
//! pipeline.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use switchboard_providers::signature::{SignedBody, websocket_url};

use super::ListenerState;
use super::ingest::request_id;
use super::verify::{public_url, verify_twilio};
use crate::backends::twilio::TWILIO_MEDIA_PATH;
use switchboard_voice::serve_media;

/// Media messages are about 300 bytes, 50 a second, and tungstenite zero-fills its whole read
/// buffer (128 KiB by default) before every read: a small one keeps that cheap.
const MEDIA_READ_BUFFER_BYTES: usize = 2 * 1024;
/// The largest message (and frame) a media stream may send. Twilio's are small JSON: a media
/// message carries 20 ms of audio (about 300 bytes), `start` the stream's parameters; a larger
/// one is refused as it is read, before it is buffered (tungstenite's default is 64 MiB).
const MEDIA_MESSAGE_LIMIT_BYTES: usize = 64 * 1024;

/// The media stream route.
pub(super) fn routes() -> Router<Arc<ListenerState>> {
    Router::new().route(TWILIO_MEDIA_PATH, get(media))
}

/// The media stream upgrade, signed over the `wss://` form of the public URL. The stream goes
/// to the realtime pipeline, which runs the call its `start` message names (with the call's
/// token) and closes any other, or one whose `start` is late; messages are size-limited.
async fn media(
    State(state): State<Arc<ListenerState>>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let request_id = request_id(&headers).to_owned();
    let url = websocket_url(&public_url(&state, &uri));
    if let Err(refusal) = verify_twilio(&state, &url, &headers, SignedBody::Empty) {
        return refusal.respond(&state, &request_id, TWILIO_MEDIA_PATH);
    }
    let (sessions, audio) = (state.pipeline.clone(), state.live_audio.clone());
    let start_within = state.settings.media_start_within;
    upgrade
        .read_buffer_size(MEDIA_READ_BUFFER_BYTES)
        .max_message_size(MEDIA_MESSAGE_LIMIT_BYTES)
        .max_frame_size(MEDIA_MESSAGE_LIMIT_BYTES)
        .on_upgrade(move |socket| serve_media(socket, sessions, audio, request_id, start_within))
}
