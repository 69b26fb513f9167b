//! The media stream's reader: passes the caller's frames to speech-to-text and the recorder,
//! and marks, DTMF and the stop to the session. Each frame goes to speech-to-text as it comes,
//! except while the caller has not spoken yet or has been quiet for longer than Deepgram's
//! utterance end (while the agent talks, mostly): then silent frames are handed over [`MOST_FRAMES_PER_MESSAGE`] at a
//! time, one Deepgram message instead of a dozen, and the first frame with voice goes at once
//! with any held.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::StreamExt as _;
use futures_util::stream::SplitStream;
use switchboard_audio::mulaw::decode_sample;
use switchboard_audio::{Frame, Framer, Party};
use switchboard_engine::listen_in::AudioTap;
use switchboard_providers::twilio::{StreamEvent, media_payload};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::input::Input;
use crate::recorder::RecordFrame;
use crate::speech_to_text::MOST_FRAMES_PER_MESSAGE;

/// A frame whose loudest sample passes this is the caller's voice (about -30 dBFS).
const VOICE_PEAK: i16 = 1000;

/// When the caller's voice was last heard, in milliseconds of the stream (lock-free).
#[derive(Debug, Default)]
pub(super) struct LastVoice(AtomicU64);

impl LastVoice {
    pub(super) fn at_ms(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// The reader's ends.
pub(super) struct Reader {
    pub(super) listener: mpsc::Sender<Frame>,
    /// Quiet for this long (Deepgram's utterance end and a margin), the caller's silent frames
    /// go to the listener in batches.
    pub(super) batch_after_quiet: Duration,
    pub(super) recorder: mpsc::Sender<RecordFrame>,
    pub(super) session: mpsc::Sender<Input>,
    pub(super) last_voice: Arc<LastVoice>,
    pub(super) started: Instant,
    /// Where the caller's frames put Twilio's timeline against the call's clock.
    pub(super) clock: Arc<StreamClock>,
    /// Listening in: the caller's frames as received.
    pub(super) tap: AudioTap,
}

impl Reader {
    /// Reads Twilio's messages until `stop` or the socket closes, then tells the session.
    pub(super) async fn run(mut self, mut stream: SplitStream<WebSocket>) {
        let mut decoded = Vec::with_capacity(2 * switchboard_audio::FRAME_BYTES);
        let mut framer = Framer::new();
        let mut listening = Listening::new(self.batch_after_quiet);
        let ended = loop {
            let text = match stream.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break Input::MediaClosed,
                Some(Ok(_)) => continue,
            };
            if let Some((at_ms, payload)) = media_payload(text.as_str()) {
                decoded.clear();
                match BASE64.decode_vec(payload, &mut decoded) {
                    Ok(()) => self.take_audio(&mut framer, at_ms, &decoded, &mut listening),
                    Err(error) => tracing::warn!(%error, "undecodable media payload"),
                }
                continue;
            }
            match StreamEvent::parse(text.as_str()) {
                Ok(StreamEvent::Media { media, .. }) => {
                    decoded.clear();
                    match media.decode_into(&mut decoded) {
                        Ok(()) => self.take_audio(&mut framer, media.timestamp, &decoded, &mut listening),
                        Err(error) => tracing::warn!(%error, "undecodable media payload"),
                    }
                }
                Ok(StreamEvent::Dtmf { dtmf, .. }) => {
                    if self.session.send(Input::Dtmf(dtmf.digit)).await.is_err() {
                        return;
                    }
                }
                Ok(StreamEvent::Mark { mark, .. }) => {
                    if self.session.send(Input::Mark(mark.name)).await.is_err() {
                        return;
                    }
                }
                Ok(StreamEvent::Stop { .. }) => break Input::Stopped,
                Ok(StreamEvent::Connected { .. } | StreamEvent::Start { .. }) => {}
                Err(error) => tracing::warn!(%error, "unreadable media stream message"),
            }
        };
        listening.hand_over(&self.listener);
        if listening.dropped > 0 {
            tracing::warn!(dropped = listening.dropped, "caller frames dropped: the listener fell behind");
        }
        let _ended = self.session.send(ended).await;
    }

    /// The caller's audio from `at_ms` (Twilio's timestamp) on, in 20 ms frames, to the listener,
    /// the recorder and the tap.
    fn take_audio(&mut self, framer: &mut Framer, mut at_ms: u64, audio: &[u8], listening: &mut Listening) {
        let arrived_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.clock.heard(at_ms, arrived_ms);
        framer.push(audio, |frame| {
            let voiced = frame.iter().any(|&code| decode_sample(code).unsigned_abs() > VOICE_PEAK.unsigned_abs());
            if voiced {
                let heard = self.started.elapsed().as_millis();
                self.last_voice.0.store(u64::try_from(heard).unwrap_or(u64::MAX), Ordering::Release);
            }
            listening.take(*frame, at_ms, voiced, &self.listener);
            let _full = self.recorder.try_send(RecordFrame { party: Party::Caller, at_ms, frame: *frame });
            self.tap.publish(Party::Caller, frame);
            at_ms += switchboard_audio::FRAME_MS;
        });
    }
}

/// The caller's frames on their way to the listener: held while the caller has been quiet
/// long enough, until a message's worth is ready or the caller speaks.
struct Listening {
    held: Vec<Frame>,
    batch_after_quiet_ms: u64,
    /// The stream time of the last frame with voice (`None`: none yet, so the caller has been
    /// quiet since the stream started).
    voice_at_ms: Option<u64>,
    /// Frames the listener had no room for.
    dropped: u64,
}

impl Listening {
    fn new(batch_after_quiet: Duration) -> Self {
        Self {
            held: Vec::with_capacity(MOST_FRAMES_PER_MESSAGE),
            batch_after_quiet_ms: u64::try_from(batch_after_quiet.as_millis()).unwrap_or(u64::MAX),
            voice_at_ms: None,
            dropped: 0,
        }
    }

    /// Takes the frame at `at_ms` of the stream; hands it over with any held, unless the caller
    /// has been quiet long enough and a message's worth is not yet held.
    fn take(&mut self, frame: Frame, at_ms: u64, voiced: bool, listener: &mpsc::Sender<Frame>) {
        if voiced {
            self.voice_at_ms = Some(at_ms);
        }
        self.held.push(frame);
        let quiet =
            self.voice_at_ms.is_none_or(|voice_at_ms| at_ms.saturating_sub(voice_at_ms) >= self.batch_after_quiet_ms);
        if !quiet || self.held.len() >= MOST_FRAMES_PER_MESSAGE {
            self.hand_over(listener);
        }
    }

    /// Hands every held frame to the listener.
    fn hand_over(&mut self, listener: &mpsc::Sender<Frame>) {
        for frame in self.held.drain(..) {
            if listener.try_send(frame).is_err() {
                self.dropped += 1;
            }
        }
    }
}

/// Twilio's media timeline against the call's own clock, for the recording: the caller's frames
/// are placed by their timestamps, the agent's by when they were sent, moved onto Twilio's
/// timeline by the least lag seen between a caller frame's timestamp and its arrival (Twilio's
/// stream began before the call's clock did). Lock-free: the reader notes, the playout reads.
#[derive(Debug)]
pub(super) struct StreamClock {
    /// `i64::MAX` until a caller frame came.
    least_lag_ms: AtomicI64,
}

impl Default for StreamClock {
    fn default() -> Self {
        Self { least_lag_ms: AtomicI64::new(i64::MAX) }
    }
}

impl StreamClock {
    /// A caller frame stamped `timestamp` arrived `arrived_ms` into the call.
    fn heard(&self, timestamp: u64, arrived_ms: u64) {
        let lag = i64::try_from(arrived_ms).unwrap_or(i64::MAX).saturating_sub(i64::try_from(timestamp).unwrap_or(0));
        self.least_lag_ms.fetch_min(lag, Ordering::AcqRel);
    }

    /// Where `call_ms` of the call's clock falls on Twilio's timeline.
    pub(super) fn twilio_ms(&self, call_ms: u64) -> u64 {
        let lag = self.least_lag_ms.load(Ordering::Acquire);
        if lag == i64::MAX {
            return call_ms;
        }
        u64::try_from(i64::try_from(call_ms).unwrap_or(i64::MAX).saturating_sub(lag)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_call_clock_moves_onto_twilios_timeline_by_the_least_lag_seen() {
        let clock = super::StreamClock::default();
        assert_eq!(clock.twilio_ms(7), 7, "no caller frame yet");
        // The first frames queued while the call started: they arrive together, late.
        clock.heard(0, 5);
        assert_eq!(clock.twilio_ms(7), 2);
        clock.heard(40, 6);
        assert_eq!(clock.twilio_ms(7), 41, "Twilio's stream began 34 ms before the call's clock");
        // A frame held up on the way changes nothing.
        clock.heard(60, 90);
        assert_eq!(clock.twilio_ms(100), 134);
    }

    use switchboard_audio::FRAME_BYTES;
    use switchboard_audio::mulaw::SILENCE;

    use super::*;

    /// Frames handed over so far, each as the first byte it carries.
    fn handed(frames: &mut mpsc::Receiver<Frame>) -> Vec<u8> {
        std::iter::from_fn(|| frames.try_recv().ok()).map(|frame| frame[0]).collect()
    }

    #[test]
    fn silence_is_handed_over_a_frame_at_a_time_until_the_caller_has_been_quiet_long_enough() {
        let (listener, mut frames) = mpsc::channel(50);
        let mut listening = Listening::new(Duration::from_millis(2000));
        listening.take([1; FRAME_BYTES], 0, true, &listener);
        assert_eq!(handed(&mut frames), [1]);
        for at_ms in (20..2000).step_by(20) {
            listening.take([SILENCE; FRAME_BYTES], at_ms, false, &listener);
            assert_eq!(handed(&mut frames).len(), 1, "the frame at {at_ms} ms waited");
        }
        // Quiet for 2 s: eleven frames wait, the twelfth takes all twelve over.
        let last_ms = 2000 + 20 * (MOST_FRAMES_PER_MESSAGE as u64 - 1);
        for at_ms in (2000..last_ms).step_by(20) {
            listening.take([SILENCE; FRAME_BYTES], at_ms, false, &listener);
            assert_eq!(handed(&mut frames), [0_u8; 0], "the frame at {at_ms} ms was handed over alone");
        }
        listening.take([SILENCE; FRAME_BYTES], last_ms, false, &listener);
        assert_eq!(handed(&mut frames), [SILENCE; MOST_FRAMES_PER_MESSAGE]);
    }

    #[test]
    fn silence_from_the_start_of_the_stream_is_handed_over_a_message_at_a_time() {
        let (listener, mut frames) = mpsc::channel(50);
        let mut listening = Listening::new(Duration::from_millis(2000));
        let last_ms = 20 * (MOST_FRAMES_PER_MESSAGE as u64 - 1);
        for at_ms in (0..last_ms).step_by(20) {
            listening.take([SILENCE; FRAME_BYTES], at_ms, false, &listener);
            assert_eq!(handed(&mut frames), [0_u8; 0], "the frame at {at_ms} ms was handed over alone");
        }
        listening.take([SILENCE; FRAME_BYTES], last_ms, false, &listener);
        assert_eq!(handed(&mut frames), [SILENCE; MOST_FRAMES_PER_MESSAGE]);
        listening.take([7; FRAME_BYTES], last_ms + 20, true, &listener);
        assert_eq!(handed(&mut frames), [7], "the first words waited");
    }

    #[test]
    fn the_first_frame_with_voice_goes_at_once_with_the_held_silence_and_ends_the_batching() {
        let (listener, mut frames) = mpsc::channel(50);
        let mut listening = Listening::new(Duration::from_millis(2000));
        for at_ms in (2000..2040).step_by(20) {
            listening.take([SILENCE; FRAME_BYTES], at_ms, false, &listener);
        }
        assert_eq!(handed(&mut frames), [0_u8; 0]);
        listening.take([7; FRAME_BYTES], 2040, true, &listener);
        assert_eq!(handed(&mut frames), [SILENCE, SILENCE, 7]);
        listening.take([SILENCE; FRAME_BYTES], 2060, false, &listener);
        assert_eq!(handed(&mut frames), [SILENCE], "silence right after speech waited");
    }

    #[test]
    fn held_frames_are_handed_over_when_the_stream_ends() {
        let (listener, mut frames) = mpsc::channel(50);
        let mut listening = Listening::new(Duration::ZERO);
        listening.take([SILENCE; FRAME_BYTES], 20, false, &listener);
        assert_eq!(handed(&mut frames), [0_u8; 0]);
        listening.hand_over(&listener);
        assert_eq!(handed(&mut frames), [SILENCE]);
    }
}
