//! Two-track call recordings: alignment by timestamp, silence padding, and reading them back.

use hound::WavReader;
use switchboard_audio::{CallRecorder, Channels, Party, RECORDING_RATE, mulaw, read_wav};

use crate::signal::{frequency, sine};

/// The file's (caller, agent) tracks.
fn tracks(path: &std::path::Path) -> (Vec<i16>, Vec<i16>) {
    let mut reader = WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, RECORDING_RATE, 16));
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    samples.chunks_exact(2).map(|frame| (frame[0], frame[1])).unzip()
}

#[test]
fn each_party_lands_on_its_own_track_at_its_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let mut recorder = CallRecorder::create(&path).unwrap();
    let caller = sine(440.0, 0.5, 8000, 1.0);
    let agent = sine(1000.0, 0.5, 8000, 0.4);
    let mut codes = Vec::new();
    mulaw::encode(&caller, &mut codes);
    // The caller speaks from 0 ms; the agent answers from 300 ms, frames interleaved as on the wire.
    for (n, frame) in codes.chunks(160).enumerate() {
        let at_ms = n as u64 * 20;
        recorder.push_mulaw(Party::Caller, at_ms, frame).unwrap();
        if let Some(agent_frame) = at_ms.checked_sub(300).and_then(|ms| agent.chunks(160).nth(ms as usize / 20)) {
            recorder.push(Party::Agent, at_ms, agent_frame).unwrap();
        }
    }
    assert_eq!(recorder.finish().unwrap(), 1000);

    let (caller_track, agent_track) = tracks(&path);
    assert_eq!(caller_track.len(), 8000);
    let mut decoded = Vec::new();
    mulaw::decode(&codes, &mut decoded);
    assert_eq!(caller_track, decoded);
    assert!(agent_track[..2400].iter().all(|&sample| sample == 0), "silence before the agent speaks");
    assert_eq!(agent_track[2400..5600], agent[..]);
    assert!(agent_track[5600..].iter().all(|&sample| sample == 0), "silence after, to the caller's end");
}

#[test]
fn a_silent_party_does_not_hold_the_other_back_and_gaps_become_silence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let mut recorder = CallRecorder::create(&path).unwrap();
    let tone = sine(440.0, 0.5, 8000, 0.02);
    // Caller frames for 3 s with a 500 ms hole; the agent only says one frame, at 2 s.
    for n in (0..150).filter(|n| !(50..75).contains(n)) {
        recorder.push(Party::Caller, n * 20, &tone).unwrap();
    }
    recorder.push(Party::Agent, 2000, &tone).unwrap();
    // A late caller frame (stamped 1 s) goes after what the track already has.
    recorder.push(Party::Caller, 1000, &tone).unwrap();
    assert_eq!(recorder.duration_ms(), 3020);
    assert_eq!(recorder.finish().unwrap(), 3020);

    let (caller_track, agent_track) = tracks(&path);
    assert_eq!((caller_track.len(), agent_track.len()), (24160, 24160));
    assert!(caller_track[8000..12000].iter().all(|&sample| sample == 0), "the hole is silent");
    assert_eq!(caller_track[12000..12160], tone[..]);
    assert_eq!(caller_track[24000..], tone[..], "the late frame is kept, at the end");
    assert_eq!(agent_track[16000..16160], tone[..]);
    assert_eq!(agent_track.iter().filter(|&&sample| sample != 0).count(), tone.iter().filter(|&&s| s != 0).count());
}

#[test]
fn a_recording_reads_back_mixed_to_mono_at_another_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let mut recorder = CallRecorder::create(&path).unwrap();
    let tone = sine(440.0, 0.5, 8000, 1.0);
    recorder.push(Party::Caller, 0, &tone).unwrap();
    recorder.finish().unwrap();

    let pcm = read_wav(&path, 48000, Channels::Mono).unwrap();
    assert_eq!((pcm.sample_rate, pcm.channels, pcm.samples.len(), pcm.duration_ms()), (48000, 1, 48000, 1000));
    assert!((frequency(&pcm.samples[4800..43200], 48000) - 440.0).abs() < 1.0);
    // Mixed with the silent agent track: half the amplitude.
    let peak = pcm.samples[4800..43200].iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!((8000..8400).contains(&peak), "{peak}");

    let stereo = read_wav(&path, 8000, Channels::Stereo).unwrap();
    assert_eq!((stereo.channels, stereo.frames()), (2, 8000));
    assert_eq!(stereo.samples.chunks_exact(2).map(|frame| frame[0]).collect::<Vec<_>>(), tone);
}

#[test]
fn other_wav_formats_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prompt.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44100,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&path, spec).unwrap();
    for sample in sine(440.0, 0.5, 44100, 0.5) {
        writer.write_sample(i32::from(sample) << 8).unwrap();
    }
    writer.finalize().unwrap();

    let pcm = read_wav(&path, 16000, Channels::Stereo).unwrap();
    assert_eq!((pcm.sample_rate, pcm.channels, pcm.frames()), (16000, 2, 8000));
    let left: Vec<i16> = pcm.samples.chunks_exact(2).map(|frame| frame[0]).collect();
    assert!((frequency(&left[800..7200], 16000) - 440.0).abs() < 1.0);

    let missing = read_wav(&dir.path().join("missing.wav"), 8000, Channels::Mono).unwrap_err();
    assert!(missing.to_string().contains("missing.wav"), "{missing}");
}
