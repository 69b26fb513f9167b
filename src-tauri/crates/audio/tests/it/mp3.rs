//! MP3 recordings (as ElevenLabs delivers them) decode for the player: the fakes' recording, a
//! LAME-encoded voice-like tone, reads back at the player's rate and layout, for as long as it
//! plays; a file that is not audio is refused with its path.

use std::path::{Path, PathBuf};

use switchboard_audio::{AudioError, Channels, RECORDING_RATE, mp3_duration_ms, read_recording};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fakes/fixtures/conversation.mp3")
}

/// The loudest sample among `frames` of interleaved stereo.
fn peak(samples: &[i16]) -> i16 {
    samples.iter().map(|sample| sample.saturating_abs()).max().unwrap_or(0)
}

#[test]
fn an_mp3_recording_reads_as_stereo_at_the_player_rate_for_as_long_as_it_plays() {
    let pcm = read_recording(&fixture(), RECORDING_RATE, Channels::Stereo).unwrap();
    assert_eq!((pcm.sample_rate, pcm.channels), (RECORDING_RATE, 2));
    let duration = pcm.duration_ms();
    assert!((2950..=3150).contains(&duration), "three seconds of audio (the encoder pads a frame): {duration} ms");
    let frame = |ms: usize| ms * RECORDING_RATE as usize / 1000 * 2;
    assert!(peak(&pcm.samples[frame(100)..frame(2400)]) > 3000, "the tone is heard");
    assert!(peak(&pcm.samples[frame(2700)..frame(2900)]) < 300, "then silence");
    let (left, right): (Vec<i16>, Vec<i16>) = pcm.samples.chunks_exact(2).map(|frame| (frame[0], frame[1])).unzip();
    assert_eq!(left, right, "the mono recording plays on both sides");

    let bytes = std::fs::read(fixture()).unwrap();
    let duration = mp3_duration_ms(&bytes).unwrap();
    assert!((2950..=3150).contains(&duration), "{duration} ms");
}

#[test]
fn a_file_that_is_not_audio_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("7.mp3");
    std::fs::write(&path, b"<html>not found</html>").unwrap();
    let error = read_recording(&path, RECORDING_RATE, Channels::Stereo).unwrap_err();
    assert!(matches!(&error, AudioError::UnsupportedRecording { path: named, .. } if *named == path), "{error}");
    assert!(error.to_string().contains("7.mp3"), "{error}");
    assert_eq!(mp3_duration_ms(b"<html>not found</html>"), None);
}
