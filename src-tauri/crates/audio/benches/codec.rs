//! Throughput of mu-law decode and encode and of streaming resampling (8k→16k, 8k→48k, 48k→8k,
//! 16k→8k) on 60 s of audio fed in 20 ms frames, as the engine feeds them.
//!
//! `cargo bench -p switchboard-audio --bench codec` prints, per operation, the best of 5 runs in
//! input samples per second, input MB/s (1 byte per mu-law sample, 2 per linear sample) and times
//! faster than real time. `python3 src-tauri/crates/audio/benches/audioop_compare.py` prints the same
//! columns for Python's audioop on the same input (the signal below, made the same way there).
//! Under `cargo test` it runs once on 1 s as a smoke test.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use switchboard_audio::{Resampler, mulaw};

/// The benchmark's input: two tones and deterministic noise, `seconds` long at `rate`.
/// audioop_compare.py makes exactly the same samples.
fn signal(rate: u32, seconds: u32) -> Vec<i16> {
    let mut state: u32 = 12345;
    (0..rate * seconds)
        .map(|n| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345) & 0x7FFF_FFFF;
            let noise = f64::from((state >> 16) % 2001) - 1000.0;
            let t = f64::from(n) / f64::from(rate);
            let tones = 8000.0 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                + 4000.0 * (2.0 * std::f64::consts::PI * 1230.0 * t).sin();
            (tones + noise).round() as i16
        })
        .collect()
}

/// FNV-1a of bytes, printed so both scripts show they used one input.
fn checksum(bytes: impl IntoIterator<Item = u8>) -> u32 {
    bytes.into_iter().fold(0x811C_9DC5, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

struct Figure {
    name: &'static str,
    samples: usize,
    bytes_per_sample: usize,
    audio_seconds: f64,
    best: Duration,
}

impl Figure {
    fn print(&self) {
        let seconds = self.best.as_secs_f64();
        let samples_per_second = self.samples as f64 / seconds;
        println!(
            "{:<16} {:>10} {:>12.1} {:>10.1} {:>10.0}x",
            self.name,
            self.samples,
            samples_per_second / 1e6,
            samples_per_second * self.bytes_per_sample as f64 / 1e6,
            self.audio_seconds / seconds,
        );
    }
}

fn best_of(runs: usize, mut run: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .expect("at least one run")
}

fn resampling(name: &'static str, from: u32, to: u32, seconds: u32, runs: usize) -> Figure {
    let input = signal(from, seconds);
    let frame = from as usize / 50;
    let mut resampler = Resampler::new(from, to).expect("supported rates");
    let mut out = Vec::with_capacity(resampler.output_capacity(frame));
    let mut produced = 0;
    let best = best_of(runs, || {
        produced = 0;
        for chunk in input.chunks(frame) {
            out.clear();
            resampler.process(black_box(chunk), &mut out);
            produced += black_box(&out).len();
        }
    });
    assert!(produced > 0, "{name} produced nothing");
    Figure { name, samples: input.len(), bytes_per_sample: 2, audio_seconds: f64::from(seconds), best }
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (seconds, runs) = if benchmarking { (60, 5) } else { (1, 1) };

    let speech = signal(8000, seconds);
    let mut codes = Vec::with_capacity(speech.len());
    mulaw::encode(&speech, &mut codes);
    let mut decoded = Vec::with_capacity(speech.len());
    println!(
        "input: {seconds} s; 8 kHz signal checksum {:08x}, its mu-law checksum {:08x}",
        checksum(speech.iter().flat_map(|sample| sample.to_le_bytes())),
        checksum(codes.iter().copied()),
    );
    println!("{:<16} {:>10} {:>12} {:>10} {:>11}", "operation", "samples", "Msamples/s", "MB/s", "realtime");

    let audio_seconds = f64::from(seconds);
    let best = best_of(runs, || {
        for frame in codes.chunks(160) {
            decoded.clear();
            mulaw::decode(black_box(frame), &mut decoded);
            black_box(&decoded);
        }
    });
    Figure { name: "ulaw decode", samples: codes.len(), bytes_per_sample: 1, audio_seconds, best }.print();

    let mut encoded = Vec::with_capacity(160);
    let best = best_of(runs, || {
        for frame in speech.chunks(160) {
            encoded.clear();
            mulaw::encode(black_box(frame), &mut encoded);
            black_box(&encoded);
        }
    });
    Figure { name: "ulaw encode", samples: speech.len(), bytes_per_sample: 2, audio_seconds, best }.print();

    for (name, from, to) in
        [("8k -> 16k", 8000, 16000), ("8k -> 48k", 8000, 48000), ("48k -> 8k", 48000, 8000), ("16k -> 8k", 16000, 8000)]
    {
        resampling(name, from, to, seconds, runs).print();
    }
}
