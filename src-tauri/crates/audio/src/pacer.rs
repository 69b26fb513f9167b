//! Real-time pacing of 20 ms frames: when each frame of an outgoing stream is due. Pure: it takes
//! the caller's `Instant`s and never sleeps, so the engine sleeps (`tokio::time::sleep_until`) and
//! tests pass made-up instants.

use std::time::{Duration, Instant};

use crate::frame::FRAME_MS;

const FRAME: Duration = Duration::from_millis(FRAME_MS);

/// Deadlines at 20 ms intervals from a start instant, each moved earlier by a fixed lead so the
/// far end's buffer never runs dry. Frame `n` is due at `start + n * 20 ms - lead`.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    lead: Duration,
    sent: u64,
}

impl Pacer {
    /// A schedule whose first frame is due at `start`, with no lead.
    pub fn new(start: Instant) -> Self {
        Self::with_lead(start, Duration::ZERO)
    }

    /// A schedule that keeps `lead` of audio ahead of real time (Twilio: a frame or two).
    pub fn with_lead(start: Instant, lead: Duration) -> Self {
        Self { start, lead, sent: 0 }
    }

    /// When the next frame is due.
    pub fn deadline(&self) -> Instant {
        let at = self.start + FRAME * self.sent as u32;
        at.checked_sub(self.lead).map_or(self.start, |early| early.max(self.start))
    }

    /// Whether the next frame is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        now >= self.deadline()
    }

    /// Frames sent since the schedule (re)started.
    pub fn frames_sent(&self) -> u64 {
        self.sent
    }

    /// How many frames are overdue at `now` (0 when on time): a caller that stalled can send them at
    /// once to catch up, or [`restart`](Self::restart) to drop the backlog of time.
    pub fn behind(&self, now: Instant) -> u64 {
        let due_until = now.saturating_duration_since(self.start) + self.lead;
        let due = (due_until.as_millis() / u128::from(FRAME_MS)) as u64 + 1;
        due.saturating_sub(self.sent)
    }

    /// Starts the schedule again at `now` (after a `clear`, or a pause in the audio).
    pub fn restart(&mut self, now: Instant) {
        self.start = now;
        self.sent = 0;
    }
}

/// Yields each frame's deadline in turn (endless): take one, wait until it, send the frame.
impl Iterator for Pacer {
    type Item = Instant;

    /// The deadline of the next frame, counting that frame as sent.
    fn next(&mut self) -> Option<Instant> {
        let deadline = self.deadline();
        self.sent += 1;
        Some(deadline)
    }
}
