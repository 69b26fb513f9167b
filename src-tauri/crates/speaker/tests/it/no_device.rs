//! With no usable output device: a clear, typed error and no panic.

use switchboard_audio::Pcm;
use switchboard_speaker::{LiveMonitor, Player, SpeakerError, list_devices};

use crate::child::{Alsa, Child, run_child};

#[test]
fn a_missing_device_is_a_clear_error() {
    let run = run_child("no_device::child_has_no_device", Alsa::MissingCard);
    for key in ["player", "monitor", "named"] {
        let message: String = run.get(key);
        assert!(message.starts_with("no audio output device: "), "{key}: {message}");
    }
    assert!(run.get::<String>("named").contains("\"Studio Monitors\""));
}

#[test]
#[ignore = "a scenario the parent test runs in a child process"]
fn child_has_no_device() {
    let Some(child) = Child::current() else { return };
    let recording = Pcm { sample_rate: 8000, channels: 1, samples: vec![0; 800] };
    let no_device = |result: Result<(), SpeakerError>| match result {
        Err(error @ SpeakerError::NoDevice(_)) => error.to_string(),
        other => panic!("expected NoDevice, got {other:?}"),
    };
    child.report("player", no_device(Player::open(None, &recording).map(drop)));
    child.report("monitor", no_device(LiveMonitor::open(None).map(drop)));
    child.report("named", no_device(Player::open(Some("Studio Monitors"), &recording).map(drop)));
    // Listing still answers (the configuration names devices that cannot open).
    list_devices().unwrap();
}
