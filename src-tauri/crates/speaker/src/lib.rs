//! Switchboard's local audio output through cpal (ALSA on Linux): a [`Player`] for recordings and
//! a [`LiveMonitor`] for listening in on live calls, each with volume, mute and a level meter read
//! from any thread. The audio callbacks neither lock nor allocate. With no usable output device
//! every constructor returns [`SpeakerError::NoDevice`] ("no audio output device: …") and nothing
//! panics, so the app keeps working without sound.

mod controls;
mod device;
mod error;
mod live;
mod player;
mod stream;

pub use controls::MAX_VOLUME;
pub use device::{OutputDevices, OutputFormat, list_devices};
pub use error::{Result, SpeakerError};
pub use live::{LiveMonitor, MonitorFeed};
pub use player::Player;
