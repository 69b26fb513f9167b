//! Listening in on a live call through ALSA: each party heard at the monitor's volume, both mixed.

use std::time::Duration;

use switchboard_audio::{FRAME_BYTES, Party, mulaw};
use switchboard_speaker::{LiveMonitor, MonitorFeed};

use crate::capture::{amplitude_at, frequency};
use crate::child::{Alsa, Child, file_size, run_child};

/// `count` 20 ms mu-law frames of a sine at 8 kHz.
fn frames(frequency: f64, amplitude: f64, count: usize) -> Vec<Vec<u8>> {
    let samples: Vec<i16> = (0..count * FRAME_BYTES)
        .map(|n| (amplitude * 32767.0 * (2.0 * std::f64::consts::PI * frequency * n as f64 / 8000.0).sin()) as i16)
        .collect();
    let mut codes = Vec::new();
    mulaw::encode(&samples, &mut codes);
    codes.chunks(FRAME_BYTES).map(<[u8]>::to_vec).collect()
}

/// The capture device takes audio faster than real time, so a party comes out in bursts with
/// silence between (it waits for 40 ms of audio each time its queue ran dry). Joined up, the
/// bursts are what was fed. A tone has the odd sample that rounds to exactly zero; silence is a run.
fn joined(samples: &[f32]) -> Vec<f32> {
    let mut heard = Vec::new();
    let mut zeros = 0;
    for &sample in samples {
        if sample == 0.0 {
            zeros += 1;
            continue;
        }
        if zeros < 16 {
            heard.extend(std::iter::repeat_n(0.0, zeros));
        }
        zeros = 0;
        heard.push(sample);
    }
    heard
}

#[test]
fn each_party_is_heard_at_the_monitors_volume_and_both_are_mixed() {
    let run = run_child("live::child_listens_in", Alsa::FileCapture);
    assert_eq!(run.get::<u64>("dropped"), 0);
    assert_eq!(run.get::<String>("listened_to"), "true");
    assert_eq!(run.get::<String>("listened_to_after_drop"), "false");
    let capture = run.capture();
    let [caller_end, agent_end] = ["caller_done", "agent_done"].map(|key| capture.frame_at_byte(run.get(key)));

    // 300 ms fed per party; the resampler keeps its last 10 ms, and up to 40 ms may still wait for
    // the prebuffer.
    for (party, range, pitch) in [("caller", 0..caller_end, 440.0), ("agent", caller_end..agent_end, 1000.0)] {
        let heard = joined(&capture.left[range]);
        let seconds = heard.len() as f64 / f64::from(capture.rate);
        assert!((0.25..=0.3).contains(&seconds), "{party}: {seconds} s heard");
        let measured = frequency(&heard, capture.rate);
        assert!((measured - pitch).abs() < 3.0, "{party}: {measured} Hz");
        let amplitude = amplitude_at(&heard, capture.rate, pitch);
        assert!((amplitude - 0.2).abs() < 0.02, "{party}: {amplitude}, fed at 0.4, half volume");
    }

    // Both at once: each party's queue is independent, so their bursts need not line up here;
    // measured over 20 ms windows, both tones are in the mix.
    let both = joined(&capture.left[agent_end..]);
    let windows: Vec<&[f32]> = both.chunks_exact(960).collect();
    let average = |pitch: f64| {
        windows.iter().map(|window| amplitude_at(window, capture.rate, pitch)).sum::<f64>() / windows.len() as f64
    };
    for pitch in [440.0, 1000.0] {
        assert!(average(pitch) > 0.08, "{pitch} Hz is in the mix: {}", average(pitch));
    }
    assert!(average(700.0) < 0.03, "and nothing between: {}", average(700.0));
}

/// Feeds frames as the engine does, one every 20 ms, then lets them play out.
fn feed_in_real_time(feed: &mut MonitorFeed, caller: &[Vec<u8>], agent: &[Vec<u8>]) {
    for n in 0..caller.len().max(agent.len()) {
        if let Some(frame) = caller.get(n) {
            assert!(feed.push(Party::Caller, frame));
        }
        if let Some(frame) = agent.get(n) {
            assert!(feed.push(Party::Agent, frame));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_listens_in() {
    let Some(child) = Child::current() else { return };
    let (monitor, mut feed) = LiveMonitor::open(None).unwrap();
    child.report_format(monitor.format());
    monitor.set_volume(0.5);
    let (caller, agent) = (frames(440.0, 0.4, 15), frames(1000.0, 0.4, 15));
    feed_in_real_time(&mut feed, &caller, &[]);
    child.report("caller_done", file_size(&child.capture_path()));
    feed_in_real_time(&mut feed, &[], &agent);
    child.report("agent_done", file_size(&child.capture_path()));
    feed_in_real_time(&mut feed, &caller, &agent);
    child.report("dropped", monitor.dropped_frames());
    child.report("listened_to", feed.is_listened_to());
    drop(monitor);
    child.report("listened_to_after_drop", feed.is_listened_to());
}

#[test]
fn a_monitor_fed_from_a_calls_tap_plays_both_parties() {
    let run = run_child("live::child_listens_through_the_tap", Alsa::FileCapture);
    assert_eq!(run.get::<u64>("dropped"), 0);
    assert_eq!(run.get::<String>("feeding_ended"), "true", "the call's publishers went: the feeding ended");
    let capture = run.capture();
    let heard = joined(&capture.left);
    let windows: Vec<&[f32]> = heard.chunks_exact(960).collect();
    let loud_in = |pitch: f64| windows.iter().filter(|window| amplitude_at(window, capture.rate, pitch) > 0.1).count();
    // 300 ms of each party, published through the tap at the same time: both tones are heard,
    // each for most of it.
    for pitch in [440.0, 1000.0] {
        let windows = loud_in(pitch);
        assert!(windows >= 8, "{pitch} Hz in {windows} windows of 20 ms");
    }
    assert_eq!(loud_in(700.0), 0, "nothing between");
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_listens_through_the_tap() {
    let Some(child) = Child::current() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let audio = switchboard_engine::LiveAudio::default();
        let call = switchboard_core::CallId(1);
        let (monitor, mut feed) = LiveMonitor::open(None).unwrap();
        child.report_format(monitor.format());
        // The console's feeding task: the tap's frames into the monitor until the call's audio ends.
        let mut listening = audio.listen(call);
        let feeding = tokio::spawn(async move {
            while let Some(frame) = listening.recv().await {
                feed.push(frame.party, &frame.frame);
            }
            feed
        });
        // The call's media tasks: each party's frames published every 20 ms.
        let (mut caller_tap, mut agent_tap) = (audio.tap(call), audio.tap(call));
        let (caller, agent) = (frames(440.0, 0.4, 15), frames(1000.0, 0.4, 15));
        let mut ticks = tokio::time::interval(Duration::from_millis(20));
        for (caller, agent) in caller.iter().zip(&agent) {
            ticks.tick().await;
            caller_tap.publish(Party::Caller, caller.as_slice().try_into().unwrap());
            agent_tap.publish(Party::Agent, agent.as_slice().try_into().unwrap());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        drop((caller_tap, agent_tap));
        let feed = tokio::time::timeout(Duration::from_secs(5), feeding).await;
        child.report("feeding_ended", feed.is_ok());
        child.report("dropped", monitor.dropped_frames());
    });
}
