//! Twilio's side of a call: the media stream handed over by the listener's media route. The
//! stream is claimed by its `start` message (call id and token, see [`PipelineSessions`]), then
//! served as a pipeline call's session (whose reader is [`crate::media_reader`]) or as a
//! hosted call's monitor fork.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use switchboard_providers::twilio::{StreamEvent, StreamStart};

use super::sessions::{CALL_ID_PARAMETER, PipelineSessions, TOKEN_PARAMETER};
use crate::session;
use switchboard_engine::LiveAudio;

use crate::monitor_stream::{MONITOR_PARAMETER, serve_monitor};

/// WebSocket close code for a policy violation.
const POLICY_VIOLATION: u16 = 1008;
/// WebSocket close code for a message too big to take.
const MESSAGE_TOO_BIG: u16 = 1009;
/// How long a refused stream has to answer the close before its socket is dropped.
const CLOSE_ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// Takes over a media stream the listener accepted (its upgrade was signed by Twilio): a
/// pipeline call's, or a hosted call's monitor fork (its `start` names [`MONITOR_PARAMETER`]).
/// A stream whose `start` does not come first, or within `start_within`, is closed with why.
pub async fn serve_media(
    socket: WebSocket,
    sessions: PipelineSessions,
    audio: LiveAudio,
    request_id: String,
    start_within: Duration,
) {
    let (sink, mut stream) = socket.split();
    let read = read_start(&mut stream, start_within).await;
    // The callee answered when the stream started: the call's times (its recording's too) run from here.
    let started = std::time::Instant::now();
    let (stream_sid, start) = match read {
        Ok(start) => start,
        Err(no_start) => {
            tracing::warn!(request_id, reason = %no_start, "media stream closed before its start");
            return close(sink, stream, no_start.close_frame()).await;
        }
    };
    if start.custom_parameters.contains_key(MONITOR_PARAMETER) {
        return serve_monitor(sessions.monitor_forks(), audio, start, sink, stream, request_id).await;
    }
    let parameter = |name: &str| start.custom_parameters.get(name).map(String::as_str);
    let claimed = match sessions.claim(parameter(CALL_ID_PARAMETER), parameter(TOKEN_PARAMETER)) {
        Ok(claimed) => claimed,
        Err(refusal) => {
            tracing::warn!(request_id, stream = stream_sid, twilio_call = start.call_sid, %refusal, "media stream refused");
            return refuse(sink, stream).await;
        }
    };
    let call_id = claimed.call.call_id;
    tracing::info!(request_id, call = %call_id, stream = stream_sid, "pipeline media stream started");
    let tap = audio.tap(call_id);
    session::run(claimed, started, stream_sid, sink, stream, tap).await;
}

/// Closes a stream whose call or token is wrong with 1008.
pub(crate) async fn refuse(sink: SplitSink<WebSocket, Message>, stream: SplitStream<WebSocket>) {
    let frame = CloseFrame { code: POLICY_VIOLATION, reason: "unknown call or wrong token".into() };
    close(sink, stream, frame).await;
}

/// Sends `frame`, then reads (and drops) what the peer still sends until it answers the close.
/// Dropping the socket with its frames unread would make the kernel reset the connection, and
/// the peer could lose the close frame (and with it the reason) before reading it.
async fn close(mut sink: SplitSink<WebSocket, Message>, mut stream: SplitStream<WebSocket>, frame: CloseFrame) {
    if sink.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let answered = async {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Close(_) = message {
                break;
            }
        }
    };
    let _answered = tokio::time::timeout(CLOSE_ANSWER_WITHIN, answered).await;
}

/// Why a stream never started.
#[derive(Debug, thiserror::Error)]
enum NoStart {
    #[error("no start message within {} ms", .0.as_millis())]
    Late(Duration),
    #[error("a message other than start came first")]
    Unexpected,
    /// Over the route's message or frame size, or not a WebSocket message at all.
    #[error("an unreadable or oversized message came first")]
    Unreadable,
    #[error("the stream closed")]
    Closed,
}

impl NoStart {
    fn close_frame(&self) -> CloseFrame {
        let code = if matches!(self, Self::Unreadable) { MESSAGE_TOO_BIG } else { POLICY_VIOLATION };
        CloseFrame { code, reason: self.to_string().into() }
    }
}

/// Reads until `start` (after `connected`), for at most `within`.
async fn read_start(stream: &mut SplitStream<WebSocket>, within: Duration) -> Result<(String, StreamStart), NoStart> {
    let read = async {
        loop {
            let text = match stream.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None => return Err(NoStart::Closed),
                Some(Ok(_)) => continue,
                Some(Err(_)) => return Err(NoStart::Unreadable),
            };
            match StreamEvent::parse(text.as_str()) {
                Ok(StreamEvent::Connected { .. }) => {}
                Ok(StreamEvent::Start { stream_sid, start, .. }) => return Ok((stream_sid, start)),
                Ok(_) | Err(_) => return Err(NoStart::Unexpected),
            }
        }
    };
    tokio::time::timeout(within, read).await.unwrap_or(Err(NoStart::Late(within)))
}
