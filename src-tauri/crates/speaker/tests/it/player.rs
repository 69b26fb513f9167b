//! Playing recordings into ALSA: pitch, length, volume, mute, pause and seek, checked in the
//! samples ALSA wrote.

use switchboard_audio::Pcm;
use switchboard_speaker::Player;

use crate::capture::{frequency, peak};
use crate::child::{Alsa, Child, file_size, run_child, wait_until};

/// `ms` of a sine at 8 kHz mono, as a call recording would be.
fn tone(frequency: f64, amplitude: f64, ms: u32) -> Pcm {
    tones(&[(frequency, amplitude, ms)])
}

fn tones(parts: &[(f64, f64, u32)]) -> Pcm {
    let samples = parts
        .iter()
        .flat_map(|&(frequency, amplitude, ms)| {
            (0..ms * 8).map(move |n| {
                (amplitude * 32767.0 * (2.0 * std::f64::consts::PI * frequency * f64::from(n) / 8000.0).sin()) as i16
            })
        })
        .collect();
    Pcm { sample_rate: 8000, channels: 1, samples }
}

/// Plays `player` to its end, reporting its format, position and length.
fn play_through(child: &Child, player: &Player) {
    child.report_format(player.format());
    player.play().unwrap();
    wait_until("the player finished", || player.is_finished());
    player.pause();
    child.report("position_ms", player.position_ms());
    child.report("duration_ms", player.duration_ms());
}

#[test]
fn a_tone_plays_at_its_pitch_length_and_level_on_both_channels() {
    let run = run_child("player::child_plays_a_tone", Alsa::FileCapture);
    assert_eq!((run.get::<u64>("position_ms"), run.get::<u64>("duration_ms")), (1000, 1000));
    let capture = run.capture();
    let sounding = capture.sounding();
    let seconds = capture.seconds(&sounding);
    assert!((seconds - 1.0).abs() < 0.01, "{seconds} s");
    let heard = &capture.left[sounding.clone()];
    let pitch = frequency(heard, capture.rate);
    assert!((pitch - 440.0).abs() < 2.0, "{pitch} Hz");
    assert!((peak(heard) - 0.5).abs() < 0.02, "peak {}", peak(heard));
    assert_eq!(capture.left, capture.right, "mono plays on both channels");
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_plays_a_tone() {
    let Some(child) = Child::current() else { return };
    let player = Player::open(None, &tone(440.0, 0.5, 1000)).unwrap();
    assert!(!player.is_playing() && player.position_ms() == 0, "opens paused at the start");
    play_through(&child, &player);
}

#[test]
fn volume_scales_the_amplitude() {
    let run = run_child("player::child_plays_at_half_volume", Alsa::FileCapture);
    let capture = run.capture();
    let heard = &capture.left[capture.sounding()];
    assert!((peak(heard) - 0.25).abs() < 0.01, "peak {}", peak(heard));
    assert!((capture.seconds(&capture.sounding()) - 1.0).abs() < 0.01);
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_plays_at_half_volume() {
    let Some(child) = Child::current() else { return };
    let player = Player::open(None, &tone(440.0, 0.5, 1000)).unwrap();
    player.set_volume(0.5);
    play_through(&child, &player);
}

#[test]
fn mute_writes_silence_while_the_meter_still_shows_the_audio() {
    let run = run_child("player::child_plays_muted", Alsa::FileCapture);
    let capture = run.capture();
    let written = capture.left.len() as f64 / f64::from(capture.rate);
    assert!(written >= 0.2, "audio went on while muted: {written} s written");
    assert!(capture.left.iter().chain(&capture.right).all(|&sample| sample == 0.0), "and all of it silence");
    let rms: f32 = run.get("meter_rms_dbfs");
    assert!((rms + 9.03).abs() < 0.5, "the meter reads the tone before mute: {rms} dBFS");
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_plays_muted() {
    let Some(child) = Child::current() else { return };
    let player = Player::open(None, &tone(440.0, 0.5, 30_000)).unwrap();
    child.report_format(player.format());
    player.set_muted(true);
    player.play().unwrap();
    wait_until("200 ms played", || player.position_ms() >= 200);
    child.report("meter_rms_dbfs", player.level().rms_dbfs);
    player.pause();
}

#[test]
fn pause_stops_the_data_and_the_position_until_play() {
    let run = run_child("player::child_pauses", Alsa::FileCapture);
    let (paused_at, paused_later): (u64, u64) = (run.get("paused_position_ms"), run.get("paused_later_position_ms"));
    assert_eq!(paused_at, paused_later, "the position holds while paused");
    let (size, size_later): (u64, u64) = (run.get("paused_size"), run.get("paused_later_size"));
    assert!(size > 0);
    assert_eq!(size, size_later, "nothing is written while paused");
    let rms: f32 = run.get("meter_rms_dbfs");
    assert!((rms + 9.03).abs() < 0.5, "the meter reads a 0.5 sine: {rms} dBFS");

    // Before the pause: the tone from the start. After it (the device opened again, into a new
    // file): the tone going on, for as long as the position moved.
    let before = run.capture_in("before-pause.raw");
    let before_ms = before.left.len() as f64 * 1000.0 / f64::from(before.rate);
    assert!((before_ms - paused_at as f64).abs() <= 2.0, "{before_ms} ms before the pause, paused at {paused_at}");
    let resumed_at: u64 = run.get("resumed_position_ms");
    let after = run.capture();
    let after_ms = after.left.len() as f64 * 1000.0 / f64::from(after.rate);
    assert!((after_ms - (resumed_at - paused_at) as f64).abs() <= 2.0, "{after_ms} ms after the pause");
    for capture in [before, after] {
        let pitch = frequency(&capture.left, capture.rate);
        assert!((pitch - 440.0).abs() < 2.0, "{pitch} Hz");
    }
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_pauses() {
    let Some(child) = Child::current() else { return };
    let player = Player::open(None, &tone(440.0, 0.5, 30_000)).unwrap();
    child.report_format(player.format());
    player.play().unwrap();
    wait_until("100 ms played", || player.position_ms() >= 100);
    child.report("meter_rms_dbfs", player.level().rms_dbfs);
    player.pause();
    assert!(!player.is_playing());
    std::thread::sleep(std::time::Duration::from_millis(100));
    let capture = child.capture_path();
    child.report("paused_position_ms", player.position_ms());
    child.report("paused_size", file_size(&capture));
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.report("paused_later_position_ms", player.position_ms());
    child.report("paused_later_size", file_size(&capture));
    let paused_at = player.position_ms();
    child.set_capture_aside("before-pause.raw");
    player.play().unwrap();
    wait_until("100 ms more played", || player.position_ms() >= paused_at + 100);
    player.pause();
    child.report("resumed_position_ms", player.position_ms());
}

#[test]
fn seek_plays_from_the_position_asked() {
    let run = run_child("player::child_seeks", Alsa::FileCapture);
    assert_eq!(run.get::<u64>("seeked_position_ms"), 500);
    let capture = run.capture();
    let sounding = capture.sounding();
    assert!((capture.seconds(&sounding) - 0.5).abs() < 0.01, "only the second half played");
    let pitch = frequency(&capture.left[sounding], capture.rate);
    assert!((pitch - 1000.0).abs() < 3.0, "the second half's pitch: {pitch} Hz");
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_seeks() {
    let Some(child) = Child::current() else { return };
    let player = Player::open(None, &tones(&[(440.0, 0.5, 500), (1000.0, 0.5, 500)])).unwrap();
    player.seek(500);
    child.report("seeked_position_ms", player.position_ms());
    play_through(&child, &player);
}

#[test]
fn volume_is_clamped_to_one_and_a_half() {
    // No device needed to check the arithmetic, but a player needs one: run it in a child.
    let run = run_child("player::child_clamps_volume", Alsa::FileCapture);
    assert_eq!((run.get::<f32>("high"), run.get::<f32>("low")), (1.5, 0.0));
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_clamps_volume() {
    let Some(child) = Child::current() else { return };
    let player = Player::open(None, &tone(440.0, 0.5, 100)).unwrap();
    player.set_volume(3.0);
    child.report("high", player.volume());
    player.set_volume(-1.0);
    child.report("low", player.volume());
}
