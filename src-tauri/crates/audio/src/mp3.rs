//! Decoding MP3 recordings (what ElevenLabs delivers) with symphonia into [`Pcm`] at the rate
//! and layout a player wants, and reading a recording file of either kind by its content.

use std::io::Cursor;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::{AudioError, Result};
use crate::pcm::{Channels, Pcm};
use crate::wav::{read_wav, to_layout};

/// Reads a call recording, WAV or MP3 (told by its first bytes, not its name), as 16-bit
/// `channels` at `sample_rate`.
pub fn read_recording(path: &Path, sample_rate: u32, channels: Channels) -> Result<Pcm> {
    let bytes = std::fs::read(path).map_err(|err| mp3_error(path, err.to_string()))?;
    if bytes.starts_with(b"RIFF") {
        return read_wav(path, sample_rate, channels);
    }
    let decoded = decode_mp3(bytes).map_err(|reason| mp3_error(path, reason))?;
    to_layout(&decoded, sample_rate, channels)
}

/// How long MP3 `bytes` play, in milliseconds; `None` when they are not MP3 audio.
pub fn mp3_duration_ms(bytes: &[u8]) -> Option<u32> {
    let decoded = decode_mp3(bytes.to_vec()).ok()?;
    u32::try_from(decoded.duration_ms()).ok()
}

/// Every frame of MP3 `bytes`, at the file's own rate and channels. A damaged frame is
/// skipped, as players do; a file with no audio at all is an error.
fn decode_mp3(bytes: Vec<u8>) -> std::result::Result<Pcm, String> {
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let probed = symphonia::default::get_probe()
        .format(&hint, source, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|err| format!("not MP3 audio: {err}"))?;
    let mut format = probed.format;
    let track = format.default_track().ok_or("no audio track")?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|err| format!("no decoder for its audio: {err}"))?;
    let mut pcm = Pcm { sample_rate: 0, channels: 0, samples: Vec::new() };
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(DecodeError::IoError(err)) if err.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(err) => return Err(format!("unreadable at {} ms: {err}", pcm.duration_ms())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(DecodeError::DecodeError(_)) => continue,
            Err(err) => return Err(format!("undecodable at {} ms: {err}", pcm.duration_ms())),
        };
        let spec = *decoded.spec();
        pcm.sample_rate = spec.rate;
        pcm.channels = u16::try_from(spec.channels.count()).map_err(|_| "too many channels")?;
        let mut buffer = SampleBuffer::<i16>::new(decoded.capacity() as u64, spec);
        buffer.copy_interleaved_ref(decoded);
        pcm.samples.extend_from_slice(buffer.samples());
    }
    if pcm.samples.is_empty() || pcm.sample_rate == 0 {
        return Err("no audio in it".to_owned());
    }
    Ok(pcm)
}

fn mp3_error(path: &Path, reason: String) -> AudioError {
    AudioError::UnsupportedRecording { path: path.to_owned(), reason }
}
