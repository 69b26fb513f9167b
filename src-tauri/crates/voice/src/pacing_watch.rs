//! Acts when the agents' audio falls behind: every few seconds it compares the process's count
//! of late frames ([`super::pacing_totals`]) with the last look; when it grew, it applies the
//! [`AudioBrake`] (campaigns hold new calls) and publishes [`EngineEvent::AudioFellBehind`], so
//! the dispatcher learns while the calls are still going that this computer carries more calls
//! than it can voice on time.

use std::time::Duration;

use super::pacing::pacing_totals;
use switchboard_engine::{AUDIO_BRAKE_HOLD, AudioBrake, EngineEvent, EventBus, now};

/// How often the watch looks.
pub const PACING_WATCH_EVERY: Duration = Duration::from_secs(5);

/// Looks at the late-frame count every `every`, for as long as it is polled.
pub async fn watch_pacing(bus: EventBus, brake: AudioBrake, every: Duration) {
    let within_secs = u32::try_from(every.as_secs()).unwrap_or(u32::MAX).max(1);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = pacing_totals().late;
    loop {
        ticks.tick().await;
        let late = pacing_totals().late;
        if late > seen {
            tracing::warn!(
                late_frames = late - seen,
                within_secs,
                "the agents' audio fell behind; campaigns hold new calls"
            );
            brake.apply(now());
            let campaigns_held_secs = u32::try_from(AUDIO_BRAKE_HOLD.as_secs()).unwrap_or(u32::MAX);
            bus.publish(EngineEvent::AudioFellBehind { late_frames: late - seen, within_secs, campaigns_held_secs });
        }
        seen = late;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::pacing::PacingCount;

    #[tokio::test]
    async fn a_late_frame_is_reported_at_the_next_look_and_brakes_campaigns() {
        let bus = EventBus::new(8);
        let brake = AudioBrake::default();
        let mut events = bus.subscribe();
        let watch = tokio::spawn(watch_pacing(bus, brake.clone(), Duration::from_millis(20)));
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mut count = PacingCount::default();
        let start = Instant::now();
        count.sent(start, 1);
        count.sent(start + Duration::from_millis(100), 1);
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.expect("reported").unwrap();
        let EngineEvent::AudioFellBehind { late_frames, within_secs, campaigns_held_secs } = *event else {
            panic!("{event:?}")
        };
        assert_eq!(campaigns_held_secs, 15);
        // Other tests' playouts may add late frames meanwhile.
        assert!(late_frames >= 1 && within_secs == 1, "{event:?}");
        assert!(brake.holding(now()).is_some(), "campaigns hold new calls");
        watch.abort();
    }
}
