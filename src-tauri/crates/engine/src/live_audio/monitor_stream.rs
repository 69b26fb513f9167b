//! A monitor stream on the listener's media route: Twilio's one-way fork of a hosted call's
//! audio, claimed by its `start` (call and token, see [`MonitorForks`](super::MonitorForks)).
//! Each `media` message's track says whose voice it is — `inbound` the callee's, `outbound` the
//! hosted agent's — and its audio goes into the call's tap in 20 ms frames. Nothing is sent back.

use axum::extract::ws::{Message, WebSocket};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::StreamExt as _;
use futures_util::stream::{SplitSink, SplitStream};
use switchboard_audio::{Framer, Party};
use switchboard_providers::twilio::StreamStart;

use super::{LiveAudio, MONITOR_PARAMETER};
use crate::pipeline::{TOKEN_PARAMETER, refuse};

/// Serves a monitor stream whose `start` was read; refuses (1008) one whose token is wrong.
pub(crate) async fn serve_monitor(
    audio: LiveAudio,
    start: StreamStart,
    sink: SplitSink<WebSocket, Message>,
    mut stream: SplitStream<WebSocket>,
    request_id: String,
) {
    let parameter = |name: &str| start.custom_parameters.get(name).map(String::as_str);
    let call_id = parameter(MONITOR_PARAMETER).unwrap_or_default();
    let call = match audio.forks().claim(call_id, parameter(TOKEN_PARAMETER)) {
        Ok(call) => call,
        Err(refusal) => {
            tracing::warn!(request_id, twilio_call = start.call_sid, %refusal, "monitor stream refused");
            return refuse(sink, stream).await;
        }
    };
    tracing::info!(request_id, %call, "monitor stream started");
    let mut tap = audio.tap(call);
    let mut framers = [Framer::new(), Framer::new()];
    let mut decoded = Vec::with_capacity(4 * switchboard_audio::FRAME_BYTES);
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            _ => continue,
        };
        let Ok(media) = serde_json::from_str::<Media<'_>>(text.as_str()) else { continue };
        match media.event {
            "media" => {}
            "stop" => break,
            _ => continue,
        }
        let Some(payload) = media.media else { continue };
        let party = match payload.track {
            "inbound" => Party::Caller,
            "outbound" => Party::Agent,
            _ => continue,
        };
        decoded.clear();
        if BASE64.decode_vec(payload.payload, &mut decoded).is_err() {
            tracing::warn!(%call, "undecodable monitor stream payload");
            continue;
        }
        framers[party.channel()].push(&decoded, |frame| tap.publish(party, frame));
    }
    tracing::info!(%call, "monitor stream ended");
}

/// A media stream message, read in place.
#[derive(serde::Deserialize)]
struct Media<'a> {
    #[serde(borrow)]
    event: &'a str,
    #[serde(borrow)]
    media: Option<Payload<'a>>,
}

#[derive(serde::Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    track: &'a str,
    #[serde(borrow)]
    payload: &'a str,
}
