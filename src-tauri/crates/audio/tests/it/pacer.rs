//! Deadlines of 20 ms frames.

use std::time::{Duration, Instant};

use switchboard_audio::Pacer;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[test]
fn deadlines_are_twenty_milliseconds_apart_from_the_start() {
    let start = Instant::now();
    let deadlines: Vec<Duration> = Pacer::new(start).take(4).map(|at| at - start).collect();
    assert_eq!(deadlines, [ms(0), ms(20), ms(40), ms(60)]);
}

#[test]
fn a_lead_sends_the_first_frames_at_once_then_keeps_the_pace() {
    let start = Instant::now();
    let mut pacer = Pacer::with_lead(start, ms(40));
    let deadlines: Vec<Duration> = pacer.by_ref().take(5).map(|at| at - start).collect();
    assert_eq!(deadlines, [ms(0), ms(0), ms(0), ms(20), ms(40)]);
    assert_eq!(pacer.frames_sent(), 5);
    assert!(!pacer.is_due(start + ms(59)));
    assert!(pacer.is_due(start + ms(60)));
}

#[test]
fn behind_counts_overdue_frames_and_restart_drops_the_backlog() {
    let start = Instant::now();
    let mut pacer = Pacer::new(start);
    assert_eq!(pacer.behind(start), 1, "frame 0 is due at the start");
    pacer.next();
    assert_eq!(pacer.behind(start + ms(19)), 0);
    assert_eq!(pacer.behind(start + ms(100)), 5, "frames 1..=5 are due by 100 ms");

    let later = start + ms(500);
    pacer.restart(later);
    assert_eq!(pacer.frames_sent(), 0);
    assert_eq!(pacer.deadline(), later);
}
