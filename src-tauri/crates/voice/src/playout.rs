//! The playout: the agent's frames to Twilio at real-time pace (a few frames of lead, so
//! Twilio's buffer never runs dry), a mark after each utterance, and `clear` on barge-in, which
//! drops every frame of the cleared turns still queued here too. When a frame is due, the frames
//! of its turn already queued behind it go in the same `media` message, up to
//! [`FRAMES_PER_MESSAGE`]: Twilio buffers what it is sent and plays it in order whatever a
//! payload's length, so this only sends ahead what is ready, and cuts the messages, writes and
//! wake-ups per second of speech. It reports each turn's first frame to the session, keeps a
//! lock-free count of the frames sent per turn and counts how well it kept time
//! ([`super::pacing`]). Messages due at once (catching up after the task was held up) go out in
//! one write.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt as _;
use futures_util::stream::SplitSink;
use switchboard_audio::{FRAME_BYTES, FRAME_MS, Frame, Pacer, Party};
use switchboard_core::AudioPacing;
use switchboard_providers::twilio::{MediaFrameWriter, StreamCommand};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::pacing::PacingCount;
use super::recorder::RecordFrame;
use crate::input::Input;
use crate::media_reader::StreamClock;
use switchboard_engine::listen_in::AudioTap;

/// Audio kept ahead of real time at Twilio: the least it holds when a message is due.
pub(super) const LEAD: Duration = Duration::from_millis(3 * FRAME_MS);
/// The most 20 ms frames one `media` message carries. Twilio then holds up to [`LEAD`] and this
/// much more, never less than [`LEAD`] before the next message; 100 ms also keeps a listener's
/// bursts well under the live monitor's cut-back (200 ms queued).
pub(super) const FRAMES_PER_MESSAGE: usize = 5;

/// What a turn queues for Twilio.
#[derive(Debug)]
pub(super) enum Outbound {
    Audio {
        turn: u32,
        frame: Frame,
    },
    /// Echoed by Twilio once everything queued before it has played.
    Mark {
        turn: u32,
        name: String,
    },
}

/// What the session tells the playout directly, ahead of queued audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PlayoutCommand {
    /// Barge-in: drop queued frames of turns up to this one and tell Twilio to `clear`.
    Clear { through_turn: u32 },
    /// Drop queued frames of turns up to this one, none of which was sent.
    Discard { through_turn: u32 },
}

/// The turn being played and how many of its frames went out, packed as `turn << 32 | frames`.
#[derive(Debug, Default)]
pub(super) struct Progress(AtomicU64);

impl Progress {
    /// Frames of `turn` sent so far.
    pub(super) fn frames_of(&self, turn: u32) -> u32 {
        let packed = self.0.load(Ordering::Acquire);
        if (packed >> 32) as u32 == turn { packed as u32 } else { 0 }
    }

    fn sent(&self, turn: u32, frames: u32) {
        self.0.store(u64::from(turn) << 32 | u64::from(frames), Ordering::Release);
    }
}

/// The playout's ends: where it sends, what it reports to.
pub(super) struct Playout {
    pub(super) sink: SplitSink<WebSocket, Message>,
    pub(super) stream_sid: String,
    pub(super) session: mpsc::Sender<Input>,
    pub(super) recorder: mpsc::Sender<RecordFrame>,
    pub(super) progress: Arc<Progress>,
    /// When the media stream started.
    pub(super) started: Instant,
    /// Puts the agent's frames on Twilio's timeline in the recording.
    pub(super) clock: Arc<StreamClock>,
    /// Listening in: the agent's frames as sent.
    pub(super) tap: AudioTap,
}

impl Playout {
    /// Runs until the queue closes (the session ended) or Twilio goes away; then closes the
    /// socket, which ends the `<Connect>` (Twilio hangs up or runs the TwiML after it), and
    /// returns how well the call's audio kept time.
    pub(super) async fn run(
        mut self,
        queue: mpsc::Receiver<Outbound>,
        commands: mpsc::Receiver<PlayoutCommand>,
    ) -> AudioPacing {
        let mut pacing = PacingCount::default();
        self.play(queue, commands, &mut pacing).await;
        self.close().await;
        pacing.finish()
    }

    /// Sends what the turns queue, paced, until the queue closes or the socket fails.
    async fn play(
        &mut self,
        mut queue: mpsc::Receiver<Outbound>,
        mut commands: mpsc::Receiver<PlayoutCommand>,
        pacing: &mut PacingCount,
    ) {
        let mut writer = MediaFrameWriter::new(&self.stream_sid);
        let mut pacer = Pacer::with_lead(std::time::Instant::now(), LEAD);
        let mut cleared: Option<u32> = None;
        let mut playing: Option<(u32, u32)> = None;
        // One message's audio.
        let mut message = [0_u8; FRAMES_PER_MESSAGE * FRAME_BYTES];
        // What was taken from the queue behind a message's frames but does not belong in it.
        let mut held: Option<Outbound> = None;
        // Messages written to the socket but not yet flushed to Twilio.
        let mut unflushed = false;
        loop {
            if unflushed && held.is_none() && queue.is_empty() {
                if self.sink.flush().await.is_err() {
                    return;
                }
                unflushed = false;
            }
            let item = match held.take() {
                Some(item) => item,
                None => tokio::select! {
                    biased;
                    command = commands.recv() => match command {
                        Some(command) => {
                            if self.apply(command, &mut cleared).await.is_err() { return }
                            continue;
                        }
                        None => return,
                    },
                    item = queue.recv() => match item {
                        Some(item) => item,
                        None => return,
                    },
                },
            };
            match item {
                Outbound::Audio { turn, .. } | Outbound::Mark { turn, .. } if stale(cleared, turn) => {}
                Outbound::Audio { turn, frame } => {
                    let now = std::time::Instant::now();
                    if now > pacer.deadline() + Duration::from_millis(FRAME_MS) {
                        // The queue ran dry (between utterances): start a new schedule with its lead.
                        pacer.restart(now);
                        pacing.pause();
                    }
                    let due = pacer.next().expect("a pacer never ends");
                    if due > std::time::Instant::now() {
                        if unflushed {
                            if self.sink.flush().await.is_err() {
                                return;
                            }
                            unflushed = false;
                        }
                        // (A timer due now would still wait for the timer's next millisecond tick.)
                        tokio::time::sleep_until(Instant::from_std(due)).await;
                    }
                    while let Ok(command) = commands.try_recv() {
                        if self.apply(command, &mut cleared).await.is_err() {
                            return;
                        }
                    }
                    if stale(cleared, turn) {
                        continue;
                    }
                    // This frame, and those of its turn queued behind it.
                    message[..FRAME_BYTES].copy_from_slice(&frame);
                    let mut count = 1;
                    while count < FRAMES_PER_MESSAGE {
                        match queue.try_recv() {
                            Ok(Outbound::Audio { turn: next_turn, frame }) if next_turn == turn => {
                                message[count * FRAME_BYTES..(count + 1) * FRAME_BYTES].copy_from_slice(&frame);
                                count += 1;
                                let _counted = pacer.next();
                            }
                            Ok(other) => {
                                held = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    let audio = &message[..count * FRAME_BYTES];
                    let json = writer.media(audio);
                    let text = Utf8Bytes::try_from(json).expect("the frame writer writes JSON text");
                    if self.sink.feed(Message::Text(text)).await.is_err() {
                        return;
                    }
                    // The next message, if queued and already due, goes out in the same write.
                    let more_queued = held.is_some() || !queue.is_empty();
                    unflushed = more_queued && pacer.deadline() <= std::time::Instant::now();
                    if !unflushed && self.sink.flush().await.is_err() {
                        return;
                    }
                    let sent_at = Instant::now();
                    let count = u32::try_from(count).expect("a few frames");
                    pacing.sent(sent_at.into_std(), count);
                    let sent_ms = u64::try_from(sent_at.duration_since(self.started).as_millis()).unwrap_or(u64::MAX);
                    let at_ms = self.clock.twilio_ms(sent_ms);
                    // Each frame is recorded when it plays, a frame after the one before.
                    for (index, frame) in (0..).zip(audio.chunks_exact(FRAME_BYTES)) {
                        let frame: Frame = frame.try_into().expect("whole frames");
                        let at_ms = at_ms + index * FRAME_MS;
                        let _full = self.recorder.try_send(RecordFrame { party: Party::Agent, at_ms, frame });
                        self.tap.publish(Party::Agent, &frame);
                    }
                    let frames = match playing {
                        Some((current, frames)) if current == turn => frames + count,
                        _ => {
                            let _ended = self.session.send(Input::FirstFrame { turn, at: sent_at.into_std() }).await;
                            count
                        }
                    };
                    playing = Some((turn, frames));
                    self.progress.sent(turn, frames);
                }
                Outbound::Mark { name, .. } => {
                    let mark = StreamCommand::mark(self.stream_sid.as_str(), name).to_json();
                    if self.sink.send(Message::Text(mark.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn apply(&mut self, command: PlayoutCommand, cleared: &mut Option<u32>) -> Result<(), axum::Error> {
        match command {
            PlayoutCommand::Clear { through_turn } => {
                *cleared = Some(cleared.map_or(through_turn, |earlier| earlier.max(through_turn)));
                let clear = StreamCommand::clear(self.stream_sid.as_str()).to_json();
                self.sink.send(Message::Text(clear.into())).await
            }
            PlayoutCommand::Discard { through_turn } => {
                *cleared = Some(cleared.map_or(through_turn, |earlier| earlier.max(through_turn)));
                Ok(())
            }
        }
    }

    async fn close(&mut self) {
        let _closed = self.sink.close().await;
    }
}

/// Whether `turn` was cleared.
fn stale(cleared: Option<u32>, turn: u32) -> bool {
    cleared.is_some_and(|through| turn <= through)
}
