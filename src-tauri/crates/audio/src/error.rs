//! The error of the audio crate's fallible operations (WAV and MP3 files, and rate set-up).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Rate { from: u32, to: u32, reason: String },
    #[error("WAV file {path}: {source}")]
    Wav { path: PathBuf, source: hound::Error },
    #[error("WAV file {path}: {reason}")]
    UnsupportedWav { path: PathBuf, reason: String },
    #[error("recording {path}: {reason}")]
    UnsupportedRecording { path: PathBuf, reason: String },
}

pub type Result<T> = std::result::Result<T, AudioError>;
