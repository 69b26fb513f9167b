//! Errors of local audio output. A missing or unusable device is an ordinary, typed outcome: the app
//! shows it and keeps working without sound.

#[derive(Debug, thiserror::Error)]
pub enum SpeakerError {
    /// No output device, or the one asked for cannot be found or opened.
    #[error("no audio output device: {0}")]
    NoDevice(String),
    /// The device opened but refused a stream, or the audio could not be prepared for it.
    #[error("audio output failed: {0}")]
    Output(String),
}

pub type Result<T> = std::result::Result<T, SpeakerError>;
