//! A simulated call's voices, live: while a line is said, its murmur (the sound its recording
//! gets) is published to the call's live-audio tap a 20 ms frame at a time, at the call's pace,
//! so the dispatcher can listen in. Nothing is made when nobody listens.

use std::time::Duration;

use switchboard_audio::{FRAME_BYTES, FRAME_MS, Frame, mulaw};
use switchboard_core::Speaker;
use switchboard_engine::listen_in::AudioTap;
use tokio::time::{Instant, sleep_until};

use crate::voice::{murmur, voice_of};

/// Takes `speech` (of call time; `scaled` turns it into real time) for `speaker` to say a
/// line, publishing the sound on `tap` meanwhile when someone listens.
pub(crate) async fn say(
    tap: Option<&mut AudioTap>,
    speaker: Speaker,
    speech: Duration,
    scaled: impl Fn(Duration) -> Duration,
) {
    let started = Instant::now();
    let deadline = started + scaled(speech);
    let Some(tap) = tap.and_then(|tap| tap.has_listener().then_some(tap)) else {
        sleep_until(deadline).await;
        return;
    };
    let (party, pitch) = voice_of(speaker);
    let mut samples = Vec::new();
    murmur(u32::try_from(speech.as_millis()).unwrap_or(u32::MAX), pitch, &mut samples);
    let mut codes = Vec::with_capacity(samples.len());
    mulaw::encode(&samples, &mut codes);
    let frames: Vec<Frame> =
        codes.chunks_exact(FRAME_BYTES).map(|chunk| chunk.try_into().expect("chunks of a frame's length")).collect();
    let frame_time = scaled(Duration::from_millis(FRAME_MS));
    let mut sent = 0;
    while sent < frames.len() {
        // One frame ahead of the sound's time, so the listener's buffer never runs dry.
        let due = (started.elapsed().as_secs_f64() / frame_time.as_secs_f64()) as usize + 2;
        for frame in &frames[sent..due.min(frames.len())] {
            tap.publish(party, frame);
        }
        sent = due.min(frames.len());
        let next = started + frame_time.mul_f64((sent - 1) as f64);
        sleep_until(next.min(deadline)).await;
    }
    sleep_until(deadline).await;
}
