//! The audio callback common to the player and the live monitor: asks a renderer for float samples,
//! meters them, applies volume and mute, and converts to the device's sample format. It neither
//! allocates nor locks: its scratch buffer is made when the stream is built.

use std::sync::{Arc, Mutex};

use cpal::traits::DeviceTrait;
use cpal::{FromSample, SampleFormat, SizedSample};

use crate::controls::Controls;
use crate::device::Output;
use crate::error::{Result, SpeakerError};

/// Frames rendered at a time; a larger device buffer is filled in several goes.
const SCRATCH_FRAMES: usize = 4096;

/// Fills interleaved float samples (full scale 1.0) for a device of so many channels.
pub(crate) trait Render: Send + 'static {
    fn render(&mut self, out: &mut [f32], channels: usize);
}

/// The last error the device reported (unplugged, …), set outside the data callback.
#[derive(Debug, Default)]
pub(crate) struct StreamErrors(Mutex<Option<String>>);

impl StreamErrors {
    pub(crate) fn last(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn record(&self, error: cpal::Error) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error.to_string());
    }
}

/// Writes one frame of a stereo pair to a device frame: both mixed on a mono device, the first two
/// channels on a larger one (the others silent).
pub(crate) fn write_frame(frame: &mut [f32], left: f32, right: f32) {
    match frame {
        [only] => *only = (left + right) / 2.0,
        [first, second, rest @ ..] => {
            *first = left;
            *second = right;
            rest.fill(0.0);
        }
        [] => {}
    }
}

/// Builds the output stream (not started) that plays what `render` makes.
pub(crate) fn build(
    output: &Output,
    controls: Arc<Controls>,
    errors: Arc<StreamErrors>,
    render: impl Render,
) -> Result<cpal::Stream> {
    let config = output.config.config();
    match output.config.sample_format() {
        SampleFormat::F32 => build_as::<f32>(output, config, controls, errors, render),
        SampleFormat::I16 => build_as::<i16>(output, config, controls, errors, render),
        SampleFormat::I32 => build_as::<i32>(output, config, controls, errors, render),
        SampleFormat::U16 => build_as::<u16>(output, config, controls, errors, render),
        SampleFormat::U8 => build_as::<u8>(output, config, controls, errors, render),
        SampleFormat::F64 => build_as::<f64>(output, config, controls, errors, render),
        other => {
            Err(SpeakerError::Output(format!("the device wants {other} samples, which Switchboard does not write")))
        }
    }
}

fn build_as<T: SizedSample + FromSample<f32>>(
    output: &Output,
    config: cpal::StreamConfig,
    controls: Arc<Controls>,
    errors: Arc<StreamErrors>,
    mut render: impl Render,
) -> Result<cpal::Stream> {
    let channels = usize::from(config.channels.max(1));
    let mut scratch = vec![0f32; SCRATCH_FRAMES * channels];
    let data_callback = move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
        let gain = controls.gain();
        let (mut squares, mut peak) = (0f32, 0f32);
        for chunk in data.chunks_mut(scratch.len()) {
            let block = &mut scratch[..chunk.len()];
            render.render(block, channels);
            for (out, &sample) in chunk.iter_mut().zip(block.iter()) {
                squares += sample * sample;
                peak = peak.max(sample.abs());
                *out = T::from_sample((sample * gain).clamp(-1.0, 1.0));
            }
        }
        let rms = if data.is_empty() { 0.0 } else { (squares / data.len() as f32).sqrt() };
        controls.store_level(rms, peak);
    };
    output
        .device
        .build_output_stream(config, data_callback, move |error| errors.record(error), None)
        .map_err(|error| SpeakerError::Output(error.to_string()))
}
