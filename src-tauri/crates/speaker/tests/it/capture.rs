//! Reading what ALSA wrote to the capture file, and measuring it.

use std::ops::Range;

/// The first two channels of a raw capture, as floats (full scale 1.0).
pub struct Capture {
    pub rate: u32,
    bytes_per_frame: usize,
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

impl Capture {
    pub fn parse(bytes: &[u8], rate: u32, channels: usize, sample_format: &str) -> Capture {
        let bytes_per_sample = match sample_format {
            "f32" => 4,
            _ => 2,
        };
        let samples: Vec<f32> = match sample_format {
            "f32" => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            "i16" => bytes.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect(),
            other => panic!("the capture test reads f32 or i16, the device took {other}"),
        };
        let channel = |index: usize| samples.iter().skip(index.min(channels - 1)).step_by(channels).copied().collect();
        Capture { rate, bytes_per_frame: bytes_per_sample * channels, left: channel(0), right: channel(1) }
    }

    /// From the first to the last sample that is not (nearly) silent, in the left channel.
    pub fn sounding(&self) -> Range<usize> {
        let loud = |sample: &f32| sample.abs() > 0.01;
        let start = self.left.iter().position(loud).expect("something was heard");
        let end = self.left.iter().rposition(loud).unwrap() + 1;
        start..end
    }

    /// The frame that starts at byte `offset` of the file.
    pub fn frame_at_byte(&self, offset: usize) -> usize {
        offset / self.bytes_per_frame
    }

    /// Seconds of audio in `range`.
    pub fn seconds(&self, range: &Range<usize>) -> f64 {
        range.len() as f64 / f64::from(self.rate)
    }
}

/// Frequency from rising zero crossings.
pub fn frequency(samples: &[f32], rate: u32) -> f64 {
    let rising: Vec<usize> = (1..samples.len()).filter(|&n| samples[n - 1] < 0.0 && samples[n] >= 0.0).collect();
    (rising.len() - 1) as f64 * f64::from(rate) / (rising[rising.len() - 1] - rising[0]) as f64
}

pub fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0, |peak, sample| peak.max(sample.abs()))
}

/// Amplitude of the `frequency` component (Goertzel), for telling mixed tones apart.
pub fn amplitude_at(samples: &[f32], rate: u32, frequency: f64) -> f64 {
    let omega = 2.0 * std::f64::consts::PI * frequency / f64::from(rate);
    let coefficient = 2.0 * omega.cos();
    let (mut previous, mut before) = (0.0, 0.0);
    for &sample in samples {
        let current = f64::from(sample) + coefficient * previous - before;
        before = previous;
        previous = current;
    }
    let power = previous * previous + before * before - coefficient * previous * before;
    2.0 * power.sqrt() / samples.len() as f64
}
