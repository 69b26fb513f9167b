//! A monitor stream on the listener's media route: Twilio's one-way fork of a hosted call's
//! audio, claimed by its `start` (call and token, see [`MonitorForks`]).
//! Each `media` message's track says whose voice it is — `inbound` the callee's, `outbound` the
//! hosted agent's — and its audio goes into the call's tap in 20 ms frames. Nothing is sent back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::{Message, WebSocket};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::StreamExt as _;
use futures_util::stream::{SplitSink, SplitStream};
use switchboard_audio::{Framer, Party};
use switchboard_providers::twilio::StreamStart;

use switchboard_core::CallId;
use switchboard_engine::LiveAudio;

use crate::sessions::{new_token, same_text};
use crate::{TOKEN_PARAMETER, refuse};

/// The stream parameter marking a monitor stream, and naming its call (Switchboard's id).
pub const MONITOR_PARAMETER: &str = "monitorCallId";
/// The monitor forks whose stream is expected, with their tokens; shared by whoever starts
/// forks and the listener's media route, through [`PipelineSessions`](crate::PipelineSessions).
#[derive(Clone, Default)]
pub struct MonitorForks {
    expected: Arc<Mutex<HashMap<CallId, String>>>,
}

/// Why a monitor stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitorRefusal {
    #[error("no monitor stream of call {0} is expected")]
    Unexpected(String),
    #[error("the token for the monitor stream of call {0} is missing or wrong")]
    WrongToken(CallId),
}

impl MonitorForks {
    /// Expects a monitor stream of `call`; returns its token. Expecting again replaces the token.
    pub fn expect(&self, call: CallId) -> Result<String, getrandom::Error> {
        let token = new_token()?;
        self.lock().insert(call, token.clone());
        Ok(token)
    }

    pub fn forget(&self, call: CallId) {
        self.lock().remove(&call);
    }

    /// The call a monitor stream's `start` names, when its token is the one expected. The
    /// token stays valid while the fork lasts (Twilio may reconnect a stream).
    pub(crate) fn claim(&self, call_id: &str, token: Option<&str>) -> Result<CallId, MonitorRefusal> {
        let id = call_id.trim().parse().map(CallId).map_err(|_| MonitorRefusal::Unexpected(call_id.to_owned()))?;
        let expected = self.lock();
        let token_expected = expected.get(&id).ok_or_else(|| MonitorRefusal::Unexpected(call_id.to_owned()))?;
        if !token.is_some_and(|token| same_text(token, token_expected)) {
            return Err(MonitorRefusal::WrongToken(id));
        }
        Ok(id)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<CallId, String>> {
        self.expected.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Serves a monitor stream whose `start` was read; refuses (1008) one whose token is wrong.
pub(crate) async fn serve_monitor(
    forks: &MonitorForks,
    audio: LiveAudio,
    start: StreamStart,
    sink: SplitSink<WebSocket, Message>,
    mut stream: SplitStream<WebSocket>,
    request_id: String,
) {
    let parameter = |name: &str| start.custom_parameters.get(name).map(String::as_str);
    let call_id = parameter(MONITOR_PARAMETER).unwrap_or_default();
    let call = match forks.claim(call_id, parameter(TOKEN_PARAMETER)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monitor_stream_is_claimed_only_with_its_token() {
        let forks = MonitorForks::default();
        let token = forks.expect(CallId(5)).unwrap();
        assert_eq!(forks.claim("5", Some(&token)), Ok(CallId(5)));
        assert_eq!(forks.claim("5", Some(&token)), Ok(CallId(5)), "valid while the fork lasts");
        assert_eq!(forks.claim("5", Some("nope")), Err(MonitorRefusal::WrongToken(CallId(5))));
        assert_eq!(forks.claim("5", None), Err(MonitorRefusal::WrongToken(CallId(5))));
        assert_eq!(forks.claim("6", Some(&token)), Err(MonitorRefusal::Unexpected("6".into())));
        forks.forget(CallId(5));
        assert_eq!(forks.claim("5", Some(&token)), Err(MonitorRefusal::Unexpected("5".into())));
    }
}
