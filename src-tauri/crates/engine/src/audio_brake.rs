//! The audio brake: when the agents' audio falls behind ([`crate::pipeline::watch_pacing`] saw
//! late frames), campaigns start no new calls for [`AUDIO_BRAKE_HOLD`], so the calls already on
//! the line get the computer back. One-off calls the dispatcher places are never held.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use switchboard_core::UnixMillis;

/// How long campaigns hold new calls after the audio last fell behind.
pub const AUDIO_BRAKE_HOLD: Duration = Duration::from_secs(15);

/// Until when campaigns hold new calls (shared by the engine's clones).
#[derive(Debug, Clone, Default)]
pub struct AudioBrake(Arc<AtomicI64>);

impl AudioBrake {
    /// Holds new campaign calls until `AUDIO_BRAKE_HOLD` after `now` (a later hold stands).
    pub fn apply(&self, now: UnixMillis) {
        let hold = i64::try_from(AUDIO_BRAKE_HOLD.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_max(now.0.saturating_add(hold), Ordering::Relaxed);
    }

    /// How much longer new campaign calls are held at `now`, if they are.
    pub fn holding(&self, now: UnixMillis) -> Option<Duration> {
        let left = self.0.load(Ordering::Relaxed) - now.0;
        (left > 0).then(|| Duration::from_millis(left.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brake_holds_for_a_while_after_the_last_time_it_was_applied() {
        let brake = AudioBrake::default();
        assert_eq!(brake.holding(UnixMillis(1_000)), None);
        brake.apply(UnixMillis(1_000));
        assert_eq!(brake.holding(UnixMillis(1_000)), Some(AUDIO_BRAKE_HOLD));
        brake.apply(UnixMillis(6_000));
        brake.apply(UnixMillis(2_000));
        assert_eq!(brake.holding(UnixMillis(16_000)), Some(Duration::from_secs(5)), "the later hold stands");
        assert_eq!(brake.holding(UnixMillis(21_000)), None);
    }
}
