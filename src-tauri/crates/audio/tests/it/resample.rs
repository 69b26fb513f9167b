//! Resampling between the rates of a call: length, pitch, level, alignment, and that feeding 20 ms
//! frames gives exactly what feeding any other sizes gives (no seams at frame boundaries).

use switchboard_audio::{Level, Resampler, resample_clip};

use crate::signal::{frequency, sine, sine_at};

const RATES: [u32; 5] = [8000, 16000, 24000, 44100, 48000];

fn pairs() -> impl Iterator<Item = (u32, u32)> {
    RATES.into_iter().flat_map(|from| RATES.into_iter().filter(move |&to| to != from).map(move |to| (from, to)))
}

/// Resamples `input` fed in pieces of `piece` samples, then flushes.
fn stream(input: &[i16], from: u32, to: u32, piece: usize) -> Vec<i16> {
    let mut resampler = Resampler::new(from, to).unwrap();
    let mut out = Vec::new();
    for chunk in input.chunks(piece) {
        resampler.process(chunk, &mut out);
    }
    resampler.flush(&mut out);
    out
}

#[test]
fn a_tone_keeps_its_length_pitch_level_and_phase_at_every_rate_pair() {
    for (from, to) in pairs() {
        let input = sine(440.0, 0.5, from, 1.0);
        let frame = from as usize / 50;
        let out = stream(&input, from, to, frame);
        assert_eq!(out.len(), to as usize, "{from} -> {to}: one second in, one second out");

        let middle = &out[out.len() / 10..out.len() * 9 / 10];
        let pitch = frequency(middle, to);
        assert!((pitch - 440.0).abs() < 1.0, "{from} -> {to}: {pitch} Hz");
        let (level_in, level_out) = (Level::of_i16(&input), Level::of_i16(middle));
        assert!((level_in.rms_dbfs - level_out.rms_dbfs).abs() < 0.2, "{from} -> {to}: {level_in:?} {level_out:?}");

        // Start-up delay trimmed: sample n is the tone at time n / to.
        let worst = (out.len() / 10..out.len() * 9 / 10)
            .map(|n| (i32::from(out[n]) - i32::from(sine_at(440.0, 0.5, to, n))).abs())
            .max()
            .unwrap();
        assert!(worst <= 8, "{from} -> {to}: off the ideal tone by {worst}");
    }
}

#[test]
fn twenty_millisecond_frames_give_the_same_samples_as_odd_pieces_and_a_whole_clip() {
    for (from, to) in pairs() {
        let input = sine(1000.0, 0.3, from, 0.5);
        let frames = stream(&input, from, to, from as usize / 50);
        assert_eq!(frames, stream(&input, from, to, 37), "{from} -> {to}");
        assert_eq!(frames, resample_clip(&input, from, to).unwrap(), "{from} -> {to}");
    }
}

#[test]
fn frame_boundaries_do_not_click() {
    // A steady tone: no step between neighbouring samples may be much larger than the tone's own.
    let input = sine(300.0, 0.8, 8000, 1.0);
    let out = stream(&input, 8000, 48000, 160);
    let largest_step = 0.8 * 32767.0 * 2.0 * std::f64::consts::PI * 300.0 / 48000.0;
    let worst = out[480..out.len() - 480].windows(2).map(|pair| (i32::from(pair[1]) - i32::from(pair[0])).abs()).max();
    assert!(f64::from(worst.unwrap()) < largest_step * 1.1, "{worst:?} vs {largest_step}");
}

#[test]
fn downsampling_removes_what_the_lower_rate_cannot_carry() {
    // 6 kHz is above 8 kHz's Nyquist frequency: it must not fold back as a 2 kHz alias.
    let input = sine(6000.0, 0.5, 48000, 1.0);
    let out = resample_clip(&input, 48000, 8000).unwrap();
    let level = Level::of_i16(&out[800..7200]);
    assert!(level.rms_dbfs < -50.0, "{level:?}");
}

#[test]
fn equal_rates_copy_and_zero_rates_are_refused() {
    let mut resampler = Resampler::new(8000, 8000).unwrap();
    let mut out = Vec::new();
    resampler.process(&[1, 2, 3], &mut out);
    resampler.flush(&mut out);
    assert_eq!(out, [1, 2, 3]);
    let error = Resampler::new(0, 8000).err().expect("a zero rate is refused");
    assert!(error.to_string().contains("from 0 Hz to 8000 Hz"), "{error}");
}

#[test]
fn a_flushed_resampler_starts_a_new_stream_cleanly() {
    let input = sine(440.0, 0.5, 8000, 0.3);
    let mut resampler = Resampler::new(8000, 16000).unwrap();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    resampler.process(&input, &mut first);
    resampler.flush(&mut first);
    resampler.process(&input, &mut second);
    resampler.flush(&mut second);
    assert_eq!(first, second);
}
