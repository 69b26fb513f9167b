//! The simulator's recordings: each line becomes a voice-like murmur (a buzz at the speaker's
//! pitch, shaped into syllables) on its party's track, at the time it was said, so a simulated
//! call can be played back with the transcript following along.

use std::f32::consts::TAU;
use std::path::PathBuf;

use switchboard_audio::{CallRecorder, Party};
use switchboard_core::{CallId, Speaker};

/// One utterance: who, when it started (ms after answer) and how long it lasted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Utterance {
    pub speaker: Speaker,
    pub start_ms: u32,
    pub duration_ms: u32,
}

const RATE: u32 = switchboard_audio::RECORDING_RATE;
/// Syllables per second of speech.
const SYLLABLES: f32 = 4.0;

/// Writes the call's two tracks and returns the WAV file's bytes and its length.
pub fn record(call: CallId, utterances: &[Utterance]) -> Result<(Vec<u8>, u32), String> {
    // The recorder writes a file as it goes; the engine keeps the bytes where recordings live.
    let path = scratch_path(call);
    let result = write(&path, utterances)
        .and_then(|duration_ms| std::fs::read(&path).map(|bytes| (bytes, duration_ms)).map_err(|err| err.to_string()));
    let _ = std::fs::remove_file(&path);
    result
}

fn scratch_path(call: CallId) -> PathBuf {
    std::env::temp_dir().join(format!("switchboard-sim-{}-{}.wav", std::process::id(), call.0))
}

fn write(path: &std::path::Path, utterances: &[Utterance]) -> Result<u32, String> {
    let mut recorder = CallRecorder::create(path).map_err(|err| err.to_string())?;
    let mut samples = Vec::new();
    for utterance in utterances {
        let (party, pitch) = voice_of(utterance.speaker);
        murmur(utterance.duration_ms, pitch, &mut samples);
        recorder.push(party, u64::from(utterance.start_ms), &samples).map_err(|err| err.to_string())?;
    }
    let duration_ms = recorder.finish().map_err(|err| err.to_string())?;
    Ok(u32::try_from(duration_ms).unwrap_or(u32::MAX))
}

/// The pitch of each party's voice, and its track.
pub(crate) fn voice_of(speaker: Speaker) -> (Party, f32) {
    match speaker {
        Speaker::Agent => (Party::Agent, 190.0),
        Speaker::Callee => (Party::Caller, 118.0),
    }
}

/// `duration_ms` of a voice-like sound at `pitch` Hz into `out` (replacing what was there).
pub(crate) fn murmur(duration_ms: u32, pitch: f32, out: &mut Vec<i16>) {
    out.clear();
    let count = (u64::from(duration_ms) * u64::from(RATE) / 1000) as usize;
    out.extend((0..count).map(|n| {
        let t = n as f32 / RATE as f32;
        // Syllables swell and fade; the pitch wanders a little, as a voice does.
        let syllable = (std::f32::consts::PI * SYLLABLES * t).sin().powi(2);
        let f0 = pitch * (1.0 + 0.04 * (TAU * 0.7 * t).sin());
        let phase = TAU * f0 * t;
        let voice = phase.sin() + 0.5 * (2.0 * phase).sin() + 0.3 * (3.0 * phase).sin() + 0.15 * (5.0 * phase).sin();
        (voice * syllable * 5_000.0) as i16
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_sounds_on_its_own_track_at_its_time() {
        let utterances = [
            Utterance { speaker: Speaker::Agent, start_ms: 0, duration_ms: 1_000 },
            Utterance { speaker: Speaker::Callee, start_ms: 1_500, duration_ms: 500 },
        ];
        let (bytes, duration_ms) = record(CallId(1), &utterances).unwrap();
        assert_eq!(duration_ms, 2_000);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.wav");
        std::fs::write(&path, &bytes).unwrap();
        let pcm = switchboard_audio::read_wav(&path, RATE, switchboard_audio::Channels::Stereo).unwrap();
        let loud = |channel: usize, from_ms: usize, to_ms: usize| {
            let frames = from_ms * 8..to_ms * 8;
            frames.map(|f| i32::from(pcm.samples[f * 2 + channel]).abs()).max().unwrap()
        };
        assert!(loud(1, 100, 900) > 2_000, "the agent speaks first, on channel 1");
        assert_eq!(loud(0, 0, 1_400), 0, "the caller is silent meanwhile");
        assert!(loud(0, 1_550, 1_950) > 2_000, "then the caller, on channel 0");
        assert_eq!(loud(1, 1_000, 2_000), 0);
    }
}
