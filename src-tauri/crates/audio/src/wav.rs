//! Reading WAV files (call recordings, prompts) into [`Pcm`] at the rate and layout a player wants.

use std::path::Path;

use hound::{SampleFormat, WavReader};

use crate::error::{AudioError, Result};
use crate::pcm::{Channels, Pcm};
use crate::resample::resample_clip;

/// Reads a 8/16/24/32-bit integer or 32-bit float PCM WAV file as 16-bit `channels` at `sample_rate`.
pub fn read_wav(path: &Path, sample_rate: u32, channels: Channels) -> Result<Pcm> {
    let wav_error = |source| AudioError::Wav { path: path.to_owned(), source };
    let mut reader = WavReader::open(path).map_err(wav_error)?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(AudioError::UnsupportedWav {
            path: path.to_owned(),
            reason: "no channels or no sample rate".into(),
        });
    }
    let samples: Vec<i16> = match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Int, bits @ 1..=32) => reader
            .samples::<i32>()
            .map(|sample| sample.map(|value| to_i16(value, bits)))
            .collect::<std::result::Result<_, _>>()
            .map_err(wav_error)?,
        (SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .map(|sample| sample.map(|value| (value * 32768.0).round() as i16))
            .collect::<std::result::Result<_, _>>()
            .map_err(wav_error)?,
        (format, bits) => {
            return Err(AudioError::UnsupportedWav {
                path: path.to_owned(),
                reason: format!("{bits}-bit {format:?} samples"),
            });
        }
    };
    let decoded = Pcm { sample_rate: spec.sample_rate, channels: spec.channels, samples };
    to_layout(&decoded, sample_rate, channels)
}

/// `decoded` (any rate and channel count) as `channels` at `sample_rate`.
pub(crate) fn to_layout(decoded: &Pcm, sample_rate: u32, channels: Channels) -> Result<Pcm> {
    let tracks = split_tracks(&decoded.samples, usize::from(decoded.channels), channels);
    let tracks = tracks
        .iter()
        .map(|track| resample_clip(track, decoded.sample_rate, sample_rate))
        .collect::<Result<Vec<_>>>()?;
    Ok(Pcm { sample_rate, channels: channels.count(), samples: interleave(&tracks) })
}

fn to_i16(value: i32, bits: u16) -> i16 {
    if bits > 16 { (value >> (bits - 16)) as i16 } else { (value << (16 - bits)) as i16 }
}

/// The file's interleaved samples as one track per output channel.
fn split_tracks(samples: &[i16], file_channels: usize, wanted: Channels) -> Vec<Vec<i16>> {
    let frames = samples.chunks_exact(file_channels);
    match (wanted, file_channels) {
        (Channels::Mono, _) => vec![
            frames
                .map(|frame| {
                    let sum: i32 = frame.iter().map(|&sample| i32::from(sample)).sum();
                    (sum / file_channels as i32) as i16
                })
                .collect(),
        ],
        (Channels::Stereo, 1) => vec![samples.to_vec(), samples.to_vec()],
        (Channels::Stereo, _) => {
            let (left, right) = frames.map(|frame| (frame[0], frame[1])).unzip();
            vec![left, right]
        }
    }
}

fn interleave(tracks: &[Vec<i16>]) -> Vec<i16> {
    let frames = tracks.iter().map(Vec::len).min().unwrap_or(0);
    (0..frames).flat_map(|frame| tracks.iter().map(move |track| track[frame])).collect()
}
