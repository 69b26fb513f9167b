//! Switchboard's pure audio: G.711 mu-law, streaming resampling, 20 ms frame pacing, two-track call
//! recordings and WAV reading, what the callee heard when, level metering. No device IO (that is `switchboard-speaker`) and no
//! allocation per frame on the hot paths once buffers have their capacity.

pub mod error;
pub mod frame;
pub mod heard;
pub mod level;
pub mod mp3;
pub mod mulaw;
pub mod pacer;
pub mod pcm;
pub mod recording;
pub mod resample;
pub mod wav;

pub use error::{AudioError, Result};
pub use frame::{FRAME_BYTES, FRAME_MS, Frame, Framer, MULAW_RATE};
pub use heard::{HeardTimer, HeardTimes};
pub use level::{FLOOR_DBFS, Level};
pub use mp3::{mp3_duration_ms, read_recording};
pub use pacer::Pacer;
pub use pcm::{Channels, Pcm};
pub use recording::{CallRecorder, Party, RECORDING_RATE};
pub use resample::{Resampler, resample_clip};
pub use wav::read_wav;
