//! No allocation per 20 ms frame on the hot paths, counted by a global allocator
//! (allocation-counter, which counts the calling thread's allocations only).

use allocation_counter::measure;
use switchboard_audio::{CallRecorder, Framer, Level, Party, Resampler, mulaw};

use crate::signal::sine;

#[test]
fn the_counter_counts() {
    let counted = measure(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(160))));
    assert_eq!(counted.count_total, 1);
}

#[test]
fn encoding_and_decoding_a_frame_allocate_nothing() {
    let frame = sine(440.0, 0.5, 8000, 0.02);
    let (mut codes, mut samples) = (Vec::with_capacity(160), Vec::with_capacity(160));
    let counted = measure(|| {
        for _ in 0..100 {
            codes.clear();
            mulaw::encode(&frame, &mut codes);
            samples.clear();
            mulaw::decode(&codes, &mut samples);
        }
    });
    assert_eq!(counted.count_total, 0);
    assert_eq!(samples.len(), 160);
}

#[test]
fn resampling_a_frame_allocates_nothing() {
    for (from, to) in [(8000, 16000), (8000, 48000), (48000, 8000), (16000, 8000), (8000, 44100), (44100, 8000)] {
        let frame = sine(440.0, 0.5, from, 0.02);
        let mut resampler = Resampler::new(from, to).unwrap();
        let mut out = Vec::with_capacity(resampler.output_capacity(frame.len()));
        let counted = measure(|| {
            for _ in 0..100 {
                out.clear();
                resampler.process(&frame, &mut out);
            }
        });
        assert_eq!(counted.count_total, 0, "{from} -> {to}");
        assert_eq!(out.len(), to as usize / 50, "{from} -> {to}");
    }
}

#[test]
fn framing_metering_and_recording_a_frame_allocate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = CallRecorder::create(&dir.path().join("call.wav")).unwrap();
    let mut framer = Framer::new();
    let bytes = [0x55u8; 100];
    let frame = sine(440.0, 0.5, 8000, 0.02);
    let mut frames = 0;
    let counted = measure(|| {
        for n in 0..400u64 {
            framer.push(&bytes, |_| frames += 1);
            std::hint::black_box(Level::of_i16(&frame));
            recorder.push_mulaw(Party::Caller, n * 20, &bytes[..80]).unwrap();
            recorder.push(Party::Agent, n * 20, &frame).unwrap();
        }
    });
    assert_eq!(counted.count_total, 0);
    assert_eq!(frames, 250);
    recorder.finish().unwrap();
}
