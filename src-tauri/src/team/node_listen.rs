//! Listening in on a call another node of the team runs: this node opens that node's listen-in
//! WebSocket (at the URL it published, its certificate pinned to the fingerprint it published)
//! with a listening console's own session, once per call however many consoles listen here,
//! and relays its frames to them as they come and its close as it was sent.

use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, close_code};
use futures_util::{SinkExt as _, StreamExt as _};
use rustls::ClientConfig;
use switchboard_core::CallId;
use switchboard_engine::ErrorCode;
use switchboard_engine::listen_in::{LISTEN_QUEUE, LiveFrame};
use switchboard_store::RunningNode;
use tokio::sync::{broadcast, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};

use super::api::SESSION_ENDED;
use super::audio::{Hub, ListenHubs, decode};
use super::link::{Socket, open_socket};
use super::trust;
use crate::commands::Reply;
use crate::dto::CommandError;

/// The WebSocket close code a console's listen-in ends with when the node running the call can
/// no longer be reached (as 502 would say).
pub const NODE_UNREACHABLE: u16 = 4502;
/// How long the other node may take to open its stream.
const OPEN_WAIT: Duration = Duration::from_secs(15);
/// How often the stream from the other node is pinged when it is quiet.
const PING_EVERY: Duration = Duration::from_secs(5);
/// A node that sends nothing (no frame, no answer to a ping) for this long is not reachable.
const SILENT_FOR: Duration = Duration::from_secs(15);
/// How long closing the stream from the other node may wait for its answer.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// The most bytes a WebSocket close frame's reason may hold.
const MAX_CLOSE_REASON: usize = 123;

/// What the hub of a call on another node shares with its relay: how the relay ended, and the
/// sessions of the consoles listening (the stream is opened again with one of them when the
/// session it was opened with ends).
#[derive(Default)]
pub struct Relayed {
    closed: OnceLock<CloseFrame>,
    sessions: Mutex<Vec<Weak<str>>>,
}

impl Relayed {
    /// How the other node closed the stream, or why it was cut off; set before the frames end.
    pub fn closed(&self) -> Option<CloseFrame> {
        self.closed.get().cloned()
    }

    fn listening(&self, session: &Arc<str>) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.retain(|session| session.strong_count() > 0);
        sessions.push(Arc::downgrade(session));
    }

    fn live_sessions(&self) -> Vec<Arc<str>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).iter().filter_map(Weak::upgrade).collect()
    }
}

impl ListenHubs {
    /// Joins the consoles listening here to call `call`, which node `node` runs: the first opens
    /// the node's stream with its `session` (held while it listens).
    pub async fn join_relayed(
        &self,
        call: CallId,
        node: &RunningNode,
        session: &Arc<str>,
    ) -> Reply<(Arc<Hub>, broadcast::Receiver<LiveFrame>)> {
        let slot = self.slot(call);
        let mut kept = slot.lock().await;
        if let Some((hub, frames)) = kept.upgrade().and_then(Hub::joined) {
            if let Some(relayed) = hub.relayed() {
                relayed.listening(session);
            }
            return Ok((hub, frames));
        }
        let server = NodeServer::of(call, node)?;
        let socket = server.open(session).await.map_err(|refused| refused.into_error(&server))?;
        let (sender, frames) = broadcast::channel(LISTEN_QUEUE);
        let (stop, stopped) = oneshot::channel();
        let relayed = Arc::new(Relayed::default());
        relayed.listening(session);
        tokio::spawn(relay(server, socket, sender, stopped, Arc::clone(&relayed)));
        let hub = Arc::new(Hub::relaying(frames.resubscribe(), stop, relayed));
        *kept = Arc::downgrade(&hub);
        Ok((hub, frames))
    }
}

/// The team server of the node running a call, as it published it.
struct NodeServer {
    call: CallId,
    url: String,
    tls: Arc<ClientConfig>,
}

/// Why the other node's stream did not open.
enum Refused {
    /// The node answered, refusing (the call is over, the session ended, ...).
    Answered(CommandError),
    /// The node could not be reached (or its certificate is not the one it published).
    Unreachable(String),
}

impl Refused {
    fn into_error(self, server: &NodeServer) -> CommandError {
        match self {
            Refused::Answered(refusal) => refusal,
            Refused::Unreachable(why) => server.unreachable(&why),
        }
    }
}

impl NodeServer {
    fn of(call: CallId, node: &RunningNode) -> Reply<Self> {
        let unreachable = |why: String| CommandError::new(ErrorCode::TeamServer, unreachable_message(call, &why));
        if node.ended {
            return Err(unreachable(format!("node {} stopped answering", node.id)));
        }
        let Some(fingerprint) = &node.cert_sha256 else {
            return Err(unreachable(format!("node {} serves no team server (start it with serve --team)", node.id)));
        };
        let Some(url) = &node.team_url else {
            return Err(unreachable(format!(
                "node {} did not say where its team server is (start it with --advertise-url)",
                node.id
            )));
        };
        Ok(Self { call, url: url.clone(), tls: trust::node_client_config(fingerprint) })
    }

    /// Opens the node's listen-in of the call with `session`.
    async fn open(&self, session: &str) -> Result<Socket, Refused> {
        let path = format!("/api/v1/listen/{}", self.call);
        let opening = tokio::time::timeout(OPEN_WAIT, open_socket(&self.url, session, &self.tls, &path));
        let Ok(opened) = opening.await else {
            return Err(Refused::Unreachable(format!("{} did not answer within {} s", self.url, OPEN_WAIT.as_secs())));
        };
        match opened {
            Ok(socket) => Ok(socket),
            Err(tungstenite::Error::Http(response)) => {
                let refusal = response.body().as_deref().and_then(|body| serde_json::from_slice(body).ok());
                Err(Refused::Answered(refusal.unwrap_or_else(|| {
                    let status = response.status();
                    CommandError::new(ErrorCode::TeamServer, format!("{} answered {status}", self.url))
                })))
            }
            Err(err) => Err(Refused::Unreachable(err.to_string())),
        }
    }

    /// Opens the stream again with the session of another console still listening, once the
    /// session it was opened with ended; else how the consoles' listening ends.
    async fn reopen(&self, relayed: &Relayed, ended: CloseFrame) -> Result<Socket, CloseFrame> {
        for session in relayed.live_sessions() {
            match self.open(&session).await {
                Ok(socket) => return Ok(socket),
                Err(Refused::Answered(refusal))
                    if matches!(refusal.code, ErrorCode::Unauthorized | ErrorCode::Forbidden) => {}
                Err(Refused::Answered(refusal)) => return Err(close(close_code::NORMAL, &refusal.message)),
                Err(Refused::Unreachable(why)) => return Err(self.cut_off(&why)),
            }
        }
        Err(ended)
    }

    fn unreachable(&self, why: &str) -> CommandError {
        tracing::warn!(call = %self.call, url = %self.url, error = why, "the node running the call is not reachable");
        CommandError::new(ErrorCode::TeamServer, unreachable_message(self.call, why))
    }

    /// The close the consoles get once the node stopped answering.
    fn cut_off(&self, why: &str) -> CloseFrame {
        tracing::warn!(call = %self.call, url = %self.url, error = why, "lost the node running the call");
        close(NODE_UNREACHABLE, &format!("the node running call {} is not reachable", self.call))
    }
}

fn unreachable_message(call: CallId, why: &str) -> String {
    format!("the node running call {call} is not reachable: {why}")
}

/// A close frame, its reason cut to what a close frame holds.
fn close(code: u16, reason: &str) -> CloseFrame {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame { code, reason: reason[..end].into() }
}

/// Relays the other node's stream into `frames` until it closes (its close is kept for the
/// consoles), it is lost, or the last console here stops listening (then it is closed).
async fn relay(
    server: NodeServer,
    mut socket: Socket,
    frames: broadcast::Sender<LiveFrame>,
    mut stopped: oneshot::Receiver<()>,
    relayed: Arc<Relayed>,
) {
    let closed = loop {
        let closed = match pass_frames(&mut socket, &frames, &mut stopped).await {
            Ended::Stopped => {
                let _ = tokio::time::timeout(CLOSE_WAIT, socket.close(None)).await;
                return;
            }
            Ended::Lost(why) => break server.cut_off(&why),
            Ended::Closed(closed) => closed,
        };
        if closed.code != SESSION_ENDED {
            break closed;
        }
        match server.reopen(&relayed, closed).await {
            Ok(reopened) => socket = reopened,
            Err(closed) => break closed,
        }
    };
    let _ = relayed.closed.set(closed);
}

/// How a stream's frames stopped.
enum Ended {
    /// No console listens here any more.
    Stopped,
    /// The other node closed it so.
    Closed(CloseFrame),
    /// The connection failed, or went silent.
    Lost(String),
}

/// Passes the stream's frames on as they come; never waits for the consoles. Pings it while it
/// is quiet, and counts it lost once it has sent nothing for `SILENT_FOR`.
async fn pass_frames(
    socket: &mut Socket,
    frames: &broadcast::Sender<LiveFrame>,
    stopped: &mut oneshot::Receiver<()>,
) -> Ended {
    let mut pings = tokio::time::interval(PING_EVERY);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            message = socket.next() => {
                heard = Instant::now();
                match message {
                    Some(Ok(Message::Binary(wire))) => match decode(&wire) {
                        // No console listening at this instant is not an error: one may join.
                        Some(frame) => { let _ = frames.send(frame); }
                        None => tracing::debug!(bytes = wire.len(), "not a live frame: skipped"),
                    },
                    Some(Ok(Message::Close(Some(frame)))) => {
                        return Ended::Closed(close(u16::from(frame.code), frame.reason.as_str()));
                    }
                    Some(Ok(Message::Close(None))) => {
                        return Ended::Closed(close(close_code::NORMAL, "the node running the call closed it"));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(err)) => return Ended::Lost(err.to_string()),
                    None => return Ended::Lost("the connection closed".to_owned()),
                }
            }
            _ = pings.tick() => {
                if heard.elapsed() > SILENT_FOR {
                    return Ended::Lost(format!("nothing came for {} s", SILENT_FOR.as_secs()));
                }
                match tokio::time::timeout(PING_EVERY, socket.send(Message::Ping(Default::default()))).await {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => return Ended::Lost(err.to_string()),
                    Err(_) => return Ended::Lost("it takes nothing more".to_owned()),
                }
            }
            _ = &mut *stopped => return Ended::Stopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_that_cannot_be_reached_is_named_with_what_to_do_and_a_close_reason_fits_its_frame() {
        let node = RunningNode {
            id: 7,
            team_url: Some("https://10.0.0.7:8443".into()),
            cert_sha256: Some("AB:CD".into()),
            ended: false,
        };
        let refused = |node: RunningNode| NodeServer::of(CallId(5), &node).err().map(|err| (err.code, err.message));
        assert_eq!(refused(node.clone()), None);
        let not_told = refused(RunningNode { team_url: None, ..node.clone() }).unwrap();
        assert_eq!(
            not_told,
            (
                ErrorCode::TeamServer,
                "the node running call 5 is not reachable: node 7 did not say where its team server is (start it \
                 with --advertise-url)"
                    .to_owned()
            )
        );
        let no_server = refused(RunningNode { cert_sha256: None, team_url: None, ..node.clone() }).unwrap().1;
        assert!(no_server.ends_with("node 7 serves no team server (start it with serve --team)"), "{no_server}");
        let ended = refused(RunningNode { ended: true, ..node }).unwrap().1;
        assert!(ended.ends_with("node 7 stopped answering"), "{ended}");

        let long = "é".repeat(100);
        let cut = close(NODE_UNREACHABLE, &long);
        assert_eq!((cut.code, cut.reason.len()), (NODE_UNREACHABLE, 122), "whole characters, at most 123 bytes");
    }
}
