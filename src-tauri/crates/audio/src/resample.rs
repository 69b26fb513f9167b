//! Streaming sample-rate conversion of mono i16 audio between the rates a call meets: 8 kHz
//! (telephone), 16 and 24 kHz (speech models), 44.1 and 48 kHz (sound cards). Any pair of positive
//! rates works.
//!
//! Built on rubato's synchronous FFT resampler (`rubato::Fft`: band-limited, Blackman-Harris
//! anti-aliasing window, no allocation in `process_into_buffer`). Rubato works on fixed chunks, here
//! 20 ms of input, and on floats; [`Resampler`] buffers the caller's samples up to a chunk (so any
//! input length works, 20 ms frames map one to one) and converts to and from i16 in scratch buffers
//! made once at construction. Filter state carries across calls, so frame boundaries do not click.
//! The filter's start-up delay (half an FFT block, 10 ms) is trimmed: output sample `n` lines up with
//! input time `n / output_rate`, and [`Resampler::flush`] pushes out the tail, so a whole clip of `n`
//! samples becomes `round(n * to / from)` samples.
//!
//! Latency of a live stream: the 10 ms filter delay plus whatever part of a chunk is still buffered.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _};

use crate::error::{AudioError, Result};

/// Milliseconds of input rubato transforms at a time.
const CHUNK_MS: u32 = 20;

/// Converts a mono stream from one sample rate to another, keeping state across calls.
pub struct Resampler {
    input_rate: u32,
    output_rate: u32,
    /// `None` when both rates are equal: samples are copied through.
    stage: Option<Stage>,
}

struct Stage {
    fft: Fft<f32>,
    /// One chunk of input, filled up to `filled`.
    input: Vec<f32>,
    filled: usize,
    /// Scratch for one chunk of output.
    output: Vec<f32>,
    /// Start-up delay still to drop, in output samples.
    delay_left: usize,
    /// Input samples taken and output samples given since construction or the last flush.
    taken: u64,
    given: u64,
}

impl Resampler {
    /// A resampler from `input_rate` to `output_rate` Hz.
    pub fn new(input_rate: u32, output_rate: u32) -> Result<Self> {
        let rate_error = |reason: String| AudioError::Rate { from: input_rate, to: output_rate, reason };
        if input_rate == 0 || output_rate == 0 {
            return Err(rate_error("rates must be positive".into()));
        }
        let stage = if input_rate == output_rate {
            None
        } else {
            let chunk = (input_rate * CHUNK_MS / 1000).max(1) as usize;
            let fft = Fft::<f32>::new(input_rate as usize, output_rate as usize, chunk, 1, FixedSync::Both)
                .map_err(|error| rate_error(error.to_string()))?;
            Some(Stage {
                input: vec![0.0; fft.input_frames_max()],
                filled: 0,
                output: vec![0.0; fft.output_frames_max()],
                delay_left: fft.output_delay(),
                taken: 0,
                given: 0,
                fft,
            })
        };
        Ok(Self { input_rate, output_rate, stage })
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    pub fn output_rate(&self) -> u32 {
        self.output_rate
    }

    /// The most samples one [`process`](Self::process) call with `input_len` samples can append:
    /// reserve this much in `out` once and no call of that size allocates.
    pub fn output_capacity(&self, input_len: usize) -> usize {
        match &self.stage {
            None => input_len,
            Some(stage) => (stage.filled + input_len) / stage.input.len() * stage.output.len(),
        }
    }

    /// Resamples `input`, appending to `out` whatever output is complete. Never allocates when `out`
    /// has [`output_capacity`](Self::output_capacity) to spare.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        let Some(stage) = &mut self.stage else {
            out.extend_from_slice(input);
            return;
        };
        let mut rest = input;
        while !rest.is_empty() {
            let room = stage.input.len() - stage.filled;
            let (now, later) = rest.split_at(room.min(rest.len()));
            for (slot, &sample) in stage.input[stage.filled..].iter_mut().zip(now) {
                *slot = f32::from(sample) / 32768.0;
            }
            stage.filled += now.len();
            stage.taken += now.len() as u64;
            rest = later;
            if stage.filled == stage.input.len() {
                stage.run(None, out);
            }
        }
    }

    /// Ends the stream: resamples what is buffered, padded with silence, appends the tail so the
    /// output has `round(input * output_rate / input_rate)` samples in all, and starts afresh.
    pub fn flush(&mut self, out: &mut Vec<i16>) {
        let Some(stage) = &mut self.stage else { return };
        let wanted = (u128::from(stage.taken) * u128::from(self.output_rate) + u128::from(self.input_rate) / 2)
            / u128::from(self.input_rate);
        let wanted = wanted as u64;
        let start = out.len();
        if stage.filled > 0 {
            stage.run(Some(stage.filled), out);
        }
        while stage.given < wanted {
            stage.run(Some(0), out);
        }
        let surplus = (stage.given - wanted) as usize;
        out.truncate(out.len() - surplus.min(out.len() - start));
        stage.fft.reset();
        stage.filled = 0;
        stage.delay_left = stage.fft.output_delay();
        stage.taken = 0;
        stage.given = 0;
    }
}

impl Stage {
    /// Runs rubato on the buffered chunk (`partial` = how many samples of it are real) and appends
    /// the output, minus any start-up delay still to drop.
    fn run(&mut self, partial: Option<usize>, out: &mut Vec<i16>) {
        let frames_in = self.input.len();
        let frames_out = self.output.len();
        let input = InterleavedSlice::new(&self.input[..], 1, frames_in).expect("one channel of a chunk");
        let mut output = InterleavedSlice::new_mut(&mut self.output[..], 1, frames_out).expect("one channel");
        let indexing = partial.map(|len| Indexing { partial_len: Some(len), ..Indexing::default() });
        let (_, written) = self
            .fft
            .process_into_buffer(&input, &mut output, indexing.as_ref())
            .expect("buffers are sized by the resampler itself");
        let skip = self.delay_left.min(written);
        self.delay_left -= skip;
        out.extend(self.output[skip..written].iter().map(|&value| (value * 32768.0).round() as i16));
        self.given += (written - skip) as u64;
        self.filled = 0;
    }
}

/// Resamples a whole clip at once (for files; allocates the result).
pub fn resample_clip(input: &[i16], input_rate: u32, output_rate: u32) -> Result<Vec<i16>> {
    let mut resampler = Resampler::new(input_rate, output_rate)?;
    let mut out = Vec::with_capacity(resampler.output_capacity(input.len()) + resampler.output_capacity(1));
    resampler.process(input, &mut out);
    resampler.flush(&mut out);
    Ok(out)
}
