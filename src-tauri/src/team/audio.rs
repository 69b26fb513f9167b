//! A call's audio over the team server, for a console's speakers: `GET /api/v1/recordings/{call}`
//! streams its recording (from the team's database when a node put it there), `GET
//! /api/v1/listen/{call}` is a WebSocket of its live frames. Each call gets one listener on the
//! engine's tap (or, run by another node, one stream from that node: `node_listen`), fanned out
//! to every console listening.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, Weak};

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade, close_code};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use switchboard_audio::{FRAME_BYTES, Frame, Party};
use switchboard_core::CallId;
use switchboard_engine::history::RecordingSource;
use switchboard_engine::listen_in::{LISTEN_QUEUE, LiveFrame};
use switchboard_engine::{Engine, ErrorCode};
use switchboard_store::Store;
use switchboard_telephony::listen_in::{HostedForking, ListenError, listen_in};
use tokio::sync::{broadcast, oneshot};
use tokio_util::io::ReaderStream;

use super::api::{Session, TeamServer, admitted, audited, refuse};
use super::node_listen::Relayed;
use crate::commands::{Reply, engine, on_store, query};
use crate::console::Console;
use crate::dto::CommandError;
use crate::operations;

/// Bytes of one live frame on the wire: the party (0 the callee, 1 the agent), then its 20 ms
/// of 8 kHz mu-law as the engine's tap has it.
pub const WIRE_FRAME: usize = 1 + FRAME_BYTES;

/// A live frame as a binary WebSocket message.
pub fn encode(frame: &LiveFrame) -> [u8; WIRE_FRAME] {
    let mut wire = [0; WIRE_FRAME];
    wire[0] = match frame.party {
        Party::Caller => 0,
        Party::Agent => 1,
    };
    wire[1..].copy_from_slice(&frame.frame);
    wire
}

/// A binary WebSocket message as a live frame, if it is one.
pub fn decode(wire: &[u8]) -> Option<LiveFrame> {
    let (party, frame) = wire.split_first()?;
    let party = match party {
        0 => Party::Caller,
        1 => Party::Agent,
        _ => return None,
    };
    Some(LiveFrame { party, frame: Frame::try_from(frame).ok()? })
}

/// Streams call `call`'s recording (WAV or MP3) to a signed-in account allowed to play it:
/// from this node's disk, or from the team's database chunk by chunk (any node serves it).
pub async fn recording(State(server): State<Arc<TeamServer>>, Path(call): Path<i64>, headers: HeaderMap) -> Response {
    const WHAT: &str = "play_recording";
    let (member, _) = match admitted(&server, &headers, WHAT, role_of(WHAT)).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let opened = open_recording(&server.console, CallId(call)).await;
    audited(&server.console, &member.name, WHAT, opened.as_ref().map(|_| ()).map_err(|err| err.code)).await;
    let (body, bytes, kind) = match opened {
        Ok(opened) => opened,
        Err(err) => return refuse(err),
    };
    let headers = [(header::CONTENT_TYPE, HeaderValue::from_static(kind)), (header::CONTENT_LENGTH, bytes.into())];
    (headers, body).into_response()
}

/// Call `call`'s recording as a body, with its length and media type; a clear error (never
/// the file's path) when there is none.
async fn open_recording(console: &Console, call: CallId) -> Reply<(Body, u64, &'static str)> {
    let missing = || CommandError::new(ErrorCode::NotFound, format!("call {call} has no recording on the team server"));
    let engine = engine(console)?;
    let recordings = engine.recordings().ok_or_else(missing)?;
    let located = query(console, move |store| recordings.source(store, call)).await?;
    let (recording, source) = located.ok_or_else(missing)?;
    let kind = if recording.file.ends_with(".mp3") { "audio/mpeg" } else { "audio/wav" };
    match source {
        RecordingSource::File(path) => {
            let file = tokio::fs::File::open(&path).await.map_err(|err| {
                tracing::warn!(%call, path = %path.display(), error = %err, "a recording listed is not readable");
                missing()
            })?;
            let bytes = file.metadata().await.map_err(|_| missing())?.len();
            Ok((Body::from_stream(ReaderStream::new(file)), bytes, kind))
        }
        RecordingSource::Database { chunks } => {
            let chunks = database_chunks(Arc::clone(engine.store()), call, chunks);
            Ok((Body::from_stream(chunks), recording.bytes, kind))
        }
        RecordingSource::OnNode(node) => Err(CommandError::new(
            ErrorCode::NotFound,
            format!(
                "call {call}'s recording is still on the disk of node {node}, which has not put it in the team store"
            ),
        )),
    }
}

/// The `chunks` chunks of call `call`'s recording in the database, each read when the body
/// wants it (one in memory at a time). A chunk gone meanwhile (the recording was deleted) cuts
/// the body short, so a client never takes the rest for the whole.
fn database_chunks(
    store: Arc<Store>,
    call: CallId,
    chunks: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::try_unfold(0, move |seq| {
        let store = Arc::clone(&store);
        async move {
            if seq == chunks {
                return Ok(None);
            }
            let chunk = on_store(store, move |store| store.recording_chunk(call, seq)).await;
            match chunk.map_err(|err| std::io::Error::other(err.message))? {
                Some(chunk) => Ok(Some((chunk, seq + 1))),
                None => Err(std::io::Error::other(format!("call {call}'s recording was deleted while it was sent"))),
            }
        }
    })
}

/// Opens a WebSocket of call `call`'s live frames for a signed-in account allowed to listen:
/// one binary message per party's 20 ms (`encode`). It closes normally when the call's audio
/// ends. A console too slow for the frames loses some; the call and the server never wait.
pub async fn listen(
    State(server): State<Arc<TeamServer>>,
    Path(call): Path<i64>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    const WHAT: &str = "listen_to_call";
    let (member, token) = match admitted(&server, &headers, WHAT, role_of(WHAT)).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let listening: Arc<str> = Arc::from(token.as_str());
    let joined = server.listening.join_wherever(&server.console, CallId(call), &listening).await;
    audited(&server.console, &member.name, WHAT, joined.as_ref().map(|_| ()).map_err(|err| err.code)).await;
    let (hub, frames) = match joined {
        Ok(joined) => joined,
        Err(err) => return refuse(err),
    };
    // The frames, then (for a call on another node) the close that node sent or the cut-off.
    let frames = futures_util::stream::unfold((frames, Some(hub)), |(mut frames, hub)| async move {
        let hub = hub?;
        loop {
            match frames.recv().await {
                Ok(frame) => return Some((Message::Binary(encode(&frame).to_vec().into()), (frames, Some(hub)))),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => {
                    let closed = hub.relayed().and_then(|relayed| relayed.closed())?;
                    return Some((Message::Close(Some(closed)), (frames, None)));
                }
            }
        }
    });
    let ended = CloseFrame { code: close_code::NORMAL, reason: "the call ended".into() };
    upgrade.on_upgrade(move |socket| async move {
        let session = Session { server: &server, member: &member, token: &token, what: WHAT };
        session.stream(socket, Box::pin(frames), ended).await;
        drop(listening);
    })
}

/// The role the operation `name` needs, as listed.
fn role_of(name: &str) -> operations::Role {
    operations::find(name).map_or(operations::Role::Admin, |operation| operation.role)
}

/// The calls consoles listen in on, each with one listener on the engine's tap, or for a call
/// another node runs, one stream from that node (`node_listen`).
pub struct ListenHubs {
    forking: HostedForking,
    calls: std::sync::Mutex<HashMap<CallId, Slot>>,
}

/// Where a call's hub is kept: locked while it is looked up or made, so each call gets one, and
/// a call whose hub is slow to make (its node slow to answer) holds up no other call.
pub(super) type Slot = Arc<tokio::sync::Mutex<Weak<Hub>>>;

/// One call listened to: a task drains the engine's tap (and stops a hosted call's fork when it
/// is let go), or the other node's stream, into a broadcast ring each console's socket reads; a
/// console that falls behind the ring loses frames. The last console gone stops the task.
pub struct Hub {
    frames: broadcast::Receiver<LiveFrame>,
    stop: Option<oneshot::Sender<()>>,
    /// A call on another node: what its relay shares.
    relayed: Option<Arc<Relayed>>,
}

impl Hub {
    /// The hub of a call another node runs, relayed as `relayed` says.
    pub(super) fn relaying(
        frames: broadcast::Receiver<LiveFrame>,
        stop: oneshot::Sender<()>,
        relayed: Arc<Relayed>,
    ) -> Self {
        Self { frames, stop: Some(stop), relayed: Some(relayed) }
    }

    pub(super) fn relayed(&self) -> Option<&Relayed> {
        self.relayed.as_deref()
    }

    /// The hub, with its frames from now on, while its task still runs.
    pub(super) fn joined(self: Arc<Self>) -> Option<(Arc<Self>, broadcast::Receiver<LiveFrame>)> {
        let running = self.stop.as_ref().is_some_and(|stop| !stop.is_closed());
        running.then(|| {
            let frames = self.frames.resubscribe();
            (self, frames)
        })
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _stopped = stop.send(());
        }
    }
}

impl ListenHubs {
    /// Listening for `console`'s engine; hosted calls are forked through its Twilio account.
    pub fn new(console: &Console) -> Self {
        let forking = HostedForking::with_clients(console.clients().clone(), console.monitor_forks.clone());
        Self { forking, calls: std::sync::Mutex::default() }
    }

    /// Call `call`'s slot (the slots no longer in use are let go).
    pub(super) fn slot(&self, call: CallId) -> Slot {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls.retain(|_, slot| {
            Arc::strong_count(slot) > 1 || slot.try_lock().map_or(true, |hub| hub.strong_count() > 0)
        });
        Arc::clone(calls.entry(call).or_default())
    }

    /// Joins the consoles listening to `call` where it runs: on this node's engine, or relayed
    /// from the node running it, whose stream the first opens with its `session`.
    pub async fn join_wherever(
        &self,
        console: &Console,
        call: CallId,
        session: &Arc<str>,
    ) -> Reply<(Arc<Hub>, broadcast::Receiver<LiveFrame>)> {
        match query(console, move |store| store.call_running_elsewhere(call)).await? {
            Some(node) => self.join_relayed(call, &node, session).await,
            None => Ok(self.join(&*engine(console)?, call).await?),
        }
    }

    /// Joins the consoles listening to `call` (the first starts listening on the engine): the
    /// hub, held while listening, and its frames from now on.
    pub async fn join(
        &self,
        engine: &Engine,
        call: CallId,
    ) -> Result<(Arc<Hub>, broadcast::Receiver<LiveFrame>), ListenError> {
        let slot = self.slot(call);
        let mut kept = slot.lock().await;
        if let Some(joined) = kept.upgrade().and_then(Hub::joined) {
            return Ok(joined);
        }
        let (mut tap, fork) = listen_in(engine, Some(&self.forking), call).await?.into_parts();
        let (sender, frames) = broadcast::channel(LISTEN_QUEUE);
        let (stop, mut stopped) = oneshot::channel();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    frame = tap.recv() => match frame {
                        // No console listening at this instant is not an error: one may join.
                        Some(frame) => { let _ = sender.send(frame); }
                        None => break,
                    },
                    _ = &mut stopped => break,
                }
            }
            drop((tap, sender));
            if let Err(error) = fork.stop().await {
                tracing::warn!(%call, %error, "could not stop the call's monitor fork");
            }
        });
        let hub = Arc::new(Hub { frames: frames.resubscribe(), stop: Some(stop), relayed: None });
        *kept = Arc::downgrade(&hub);
        Ok((hub, frames))
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::{BackendKind, UnixMillis};
    use switchboard_engine::EngineSettings;
    use switchboard_store::{NewCall, Store};

    use super::*;

    /// An engine over a store with the shipped samples and one simulated call on the line.
    fn engine_with_a_call() -> (Engine, CallId) {
        let store = Arc::new(Store::open_in_memory().unwrap());
        switchboard_engine::sample::seed_shipped(&store).unwrap();
        let contact = store.list_contacts().unwrap().into_iter().find(|contact| contact.phone_e164.is_some()).unwrap();
        let new_call = NewCall {
            contact_id: contact.id,
            agent_id: store.list_agents().unwrap()[0].id,
            backend: BackendKind::Simulator,
            phone_e164: contact.phone_e164.unwrap(),
            created_at: UnixMillis(0),
            campaign: None,
        };
        let call = store.insert_call(&new_call).unwrap().id;
        (Engine::new(store, EngineSettings::default()), call)
    }

    #[tokio::test]
    async fn consoles_share_a_calls_tap_and_one_that_falls_behind_only_loses_frames() {
        let (engine, call) = engine_with_a_call();
        let hubs = ListenHubs {
            forking: HostedForking::with_clients(Default::default(), Default::default()),
            calls: std::sync::Mutex::default(),
        };
        let (first, mut behind) = hubs.join(&engine, call).await.unwrap();
        let (second, mut keeping_up) = hubs.join(&engine, call).await.unwrap();
        assert!(Arc::ptr_eq(&first, &second), "one listener on the call's tap");

        // Three rings' worth, each taken by the console keeping up; the other reads none.
        let mut tap = engine.live_audio().tap(call);
        let sent = LISTEN_QUEUE * 3;
        for n in 0..sent {
            let frame = [u8::try_from(n % 256).unwrap(); FRAME_BYTES];
            tap.publish(Party::Agent, &frame);
            assert_eq!(keeping_up.recv().await.unwrap(), LiveFrame { party: Party::Agent, frame });
        }
        let lost = match behind.recv().await {
            Err(broadcast::error::RecvError::Lagged(lost)) => lost,
            other => panic!("the console behind lost nothing: {other:?}"),
        };
        let lost = usize::try_from(lost).unwrap();

        // The call's audio ends: every console's frames end, after what they still hold, the newest.
        drop(tap);
        let mut held = Vec::new();
        while let Ok(frame) = behind.recv().await {
            held.push(frame.frame[0]);
        }
        assert!(held.len() >= LISTEN_QUEUE && lost + held.len() == sent, "lost {lost}, held {}", held.len());
        let newest: Vec<u8> = (lost..sent).map(|n| u8::try_from(n % 256).unwrap()).collect();
        assert_eq!(held, newest);
        assert!(matches!(keeping_up.recv().await, Err(broadcast::error::RecvError::Closed)));
    }

    #[test]
    fn a_live_frame_reads_back_as_sent_and_anything_else_is_not_one() {
        let mut frame = [0xFF; FRAME_BYTES];
        frame[7] = 3;
        for party in [Party::Caller, Party::Agent] {
            let sent = LiveFrame { party, frame };
            assert_eq!(decode(&encode(&sent)), Some(sent));
        }
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[2; WIRE_FRAME]), None, "no third party");
        assert_eq!(decode(&[0; WIRE_FRAME - 1]), None, "a short frame");
    }
}
