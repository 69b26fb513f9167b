//! Twilio's live-call endpoints: the voice URL (answered with TwiML) and the media stream
//! WebSocket. Both are signed; neither goes to the inbox.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use switchboard_providers::signature::{SignedBody, websocket_url};
use switchboard_providers::twilio::{StreamEvent, TwimlResponse};

use super::ListenerState;
use super::ingest::request_id;
use super::routes::{TWILIO_MEDIA_PATH, TWILIO_VOICE_PATH};
use super::verify::{public_url, twilio_body, verify_twilio};

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

/// The media stream upgrade, signed over the `wss://` form of the public URL. Frames are read
/// and logged, then dropped, until the realtime pipeline takes them.
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
    upgrade.on_upgrade(move |socket| drain(socket, request_id))
}

async fn drain(mut socket: WebSocket, request_id: String) {
    let mut media_frames = 0_u64;
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        match StreamEvent::parse(text.as_str()) {
            Ok(StreamEvent::Start { stream_sid, start, .. }) => {
                tracing::info!(request_id, stream = stream_sid, call = start.call_sid, "media stream started");
            }
            Ok(StreamEvent::Media { .. }) => media_frames += 1,
            Ok(StreamEvent::Stop { stream_sid, .. }) => {
                tracing::info!(request_id, stream = stream_sid, media_frames, "media stream stopped");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(request_id, %error, "unreadable media stream message"),
        }
    }
    tracing::debug!(request_id, media_frames, "media stream closed");
}
