//! Decoded audio held in memory: interleaved i16 samples at a rate.

/// Interleaved 16-bit samples: frame `n` is `samples[n * channels..(n + 1) * channels]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pcm {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
}

/// The channel layout to read a file into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    /// One channel: a stereo call recording's two parties mixed.
    Mono,
    /// Two channels: a mono file duplicated; of more than two, the first two.
    Stereo,
}

impl Channels {
    pub fn count(self) -> u16 {
        match self {
            Channels::Mono => 1,
            Channels::Stereo => 2,
        }
    }
}

impl Pcm {
    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }

    /// Length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.frames() as u64 * 1000 / u64::from(self.sample_rate.max(1))
    }
}
