//! How well the playouts kept time: the agent's frames sent, those sent more than
//! [`LATE_AFTER`] after the frame before in the same stretch of speech (a hole at Twilio unless
//! its buffer covered it), and the worst such gap. A message of several frames is due that much
//! later after the one before: its gap is counted less the audio the message before carried
//! beyond one frame, so a gap means what it means between single frames. Each playout counts its own call and returns
//! its count for the call's record; the process-wide totals get a late frame as it happens and
//! the rest when the playout ends, so the frame path touches shared state only when late.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchboard_audio::FRAME_MS;

use switchboard_core::AudioPacing;

/// A frame sent later than this after the one before is late.
pub const LATE_AFTER: Duration = Duration::from_millis(40);

static FRAMES: AtomicU64 = AtomicU64::new(0);
static LATE: AtomicU64 = AtomicU64::new(0);
static WORST_GAP_MICROS: AtomicU64 = AtomicU64::new(0);

/// The pacing of every pipeline call in this process: late frames as they happen, frames sent
/// and the worst gap of the calls ended so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PacingTotals {
    /// The agent's frames sent.
    pub frames: u64,
    /// Frames sent more than [`LATE_AFTER`] after the one before.
    pub late: u64,
    /// The longest time between two frames of one stretch of speech.
    pub worst_gap: Duration,
}

/// The totals so far.
pub fn pacing_totals() -> PacingTotals {
    PacingTotals {
        frames: FRAMES.load(Ordering::Relaxed),
        late: LATE.load(Ordering::Relaxed),
        worst_gap: Duration::from_micros(WORST_GAP_MICROS.load(Ordering::Relaxed)),
    }
}

/// One playout's count.
#[derive(Debug, Default)]
pub(super) struct PacingCount {
    frames: u64,
    late: u64,
    worst_gap: Duration,
    /// When the last message went out, and how many frames it carried.
    last_sent: Option<(Instant, u32)>,
}

impl PacingCount {
    /// A message of `frames` frames went out at `at`.
    pub(super) fn sent(&mut self, at: Instant, frames: u32) {
        self.frames += u64::from(frames);
        let ahead = |carried: u32| Duration::from_millis(FRAME_MS) * carried.saturating_sub(1);
        let gap =
            self.last_sent.map(|(last, carried)| at.saturating_duration_since(last).saturating_sub(ahead(carried)));
        if let Some(gap) = gap {
            if gap > LATE_AFTER {
                self.late += 1;
                LATE.fetch_add(1, Ordering::Relaxed);
            }
            self.worst_gap = self.worst_gap.max(gap);
        }
        self.last_sent = Some((at, frames));
    }

    /// The stretch of speech ended (the queue ran dry): the next frame starts a new one.
    pub(super) fn pause(&mut self) {
        self.last_sent = None;
    }

    /// Adds the call's frames and worst gap to the totals and returns the call's count.
    pub(super) fn finish(self) -> AudioPacing {
        FRAMES.fetch_add(self.frames, Ordering::Relaxed);
        let worst = u64::try_from(self.worst_gap.as_micros()).unwrap_or(u64::MAX);
        WORST_GAP_MICROS.fetch_max(worst, Ordering::Relaxed);
        let clamp = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        AudioPacing {
            frames: clamp(self.frames),
            late: clamp(self.late),
            worst_gap_ms: clamp(u64::try_from(self.worst_gap.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_more_than_40_ms_after_the_one_before_is_late_but_not_across_a_pause() {
        let start = Instant::now();
        let ms = |ms| start + Duration::from_millis(ms);
        let before = pacing_totals();
        let mut count = PacingCount::default();
        for at in [0, 20, 40, 100, 120] {
            count.sent(ms(at), 1);
        }
        assert!(pacing_totals().late > before.late, "a late frame counts at once");
        count.pause();
        count.sent(ms(900), 1);
        count.sent(ms(941), 1);
        assert_eq!(count.finish(), AudioPacing { frames: 7, late: 2, worst_gap_ms: 60 });
        let after = pacing_totals();
        // Other tests' playouts may add to the totals meanwhile: at least this count was added.
        assert!(after.frames >= before.frames + 7 && after.late >= before.late + 2);
        assert!(after.worst_gap >= Duration::from_millis(60));
    }

    #[test]
    fn a_message_of_several_frames_leaves_their_audio_before_the_next_is_late() {
        let start = Instant::now();
        let ms = |ms| start + Duration::from_millis(ms);
        let mut count = PacingCount::default();
        // 100 ms messages 100 ms apart, then one 41 ms later than due, then single frames.
        for (at, frames) in [(0, 5), (100, 5), (200, 5), (341, 1), (361, 1), (381, 1)] {
            count.sent(ms(at), frames);
        }
        assert_eq!(count.finish(), AudioPacing { frames: 18, late: 1, worst_gap_ms: 61 });
    }
}
