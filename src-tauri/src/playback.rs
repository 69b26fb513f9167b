//! Playing call recordings on the local speakers: one player at a time, on the output device
//! the dispatcher chose (or the system default). No device is an ordinary answer, shown in the
//! window; the rest of the app carries on.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use switchboard_audio::{Channels, RECORDING_RATE, read_recording};
use switchboard_core::CallId;
use switchboard_speaker::{Player, SpeakerError, list_devices};
use ts_rs::TS;

/// Where playback is, as the console shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlaybackStatus {
    /// The call whose recording is loaded; `null` when none is.
    pub call_id: Option<CallId>,
    pub playing: bool,
    #[ts(type = "number")]
    pub position_ms: u64,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub volume: f32,
    pub muted: bool,
    /// The last block's level, dBFS (−96 is silence).
    pub level_dbfs: f32,
    /// Why the device stopped, if it did.
    pub error: Option<String>,
}

/// The output devices to choose from.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AudioDevices {
    pub names: Vec<String>,
    pub default: Option<String>,
    /// The device chosen in Settings; `null` follows the system default.
    pub chosen: Option<String>,
}

/// The setting naming the output device the dispatcher chose (empty: the system default).
pub const AUDIO_DEVICE: &str = "audio_device";

/// The console's speakers.
pub struct Speakers {
    device: Mutex<Option<String>>,
    current: Mutex<Option<(CallId, Player)>>,
}

impl Speakers {
    /// Speakers on the device saved in `store`'s settings, else the system default.
    pub fn from_settings(store: Option<&switchboard_store::Store>) -> Self {
        let device = store.and_then(|store| store.setting(AUDIO_DEVICE).ok().flatten()).filter(|name| !name.is_empty());
        Self { device: Mutex::new(device), current: Mutex::default() }
    }

    pub fn devices(&self) -> Result<AudioDevices, SpeakerError> {
        let devices = list_devices()?;
        Ok(AudioDevices { names: devices.names, default: devices.default, chosen: self.device().clone() })
    }

    /// The output device chosen in Settings (`None`: the system default).
    pub fn chosen_device(&self) -> Option<String> {
        self.device().clone()
    }

    /// Plays on `name` from now on (`None`: the system default); a loaded recording is let go.
    pub fn choose_device(&self, name: Option<String>) {
        *self.device() = name;
        *self.current() = None;
    }

    /// Whether `call`'s recording is the one loaded.
    pub fn has_loaded(&self, call: CallId) -> bool {
        self.current().as_ref().is_some_and(|(loaded, _)| *loaded == call)
    }

    /// Loads `call`'s recording from `file` (decoded whole), instead of the one loaded.
    pub fn load(&self, call: CallId, file: &Path) -> Result<(), SpeakerError> {
        let mut current = self.current();
        *current = None;
        let recording = read_recording(file, RECORDING_RATE, Channels::Stereo)
            .map_err(|err| SpeakerError::Output(format!("cannot read the recording: {err}")))?;
        *current = Some((call, Player::open(self.device().as_deref(), &recording)?));
        Ok(())
    }

    /// Plays the loaded recording, `call`'s, from `from_ms`.
    pub fn play(&self, call: CallId, from_ms: u64) -> Result<PlaybackStatus, SpeakerError> {
        let current = self.current();
        match current.as_ref() {
            Some((loaded, player)) if *loaded == call => {
                player.seek(from_ms);
                player.play()?;
            }
            _ => return Err(SpeakerError::Output(format!("the recording of call {call} is not loaded"))),
        }
        Ok(status(current.as_ref()))
    }

    /// Applies `change` to the loaded player, if any, and says where playback is.
    pub fn with_player(&self, change: impl FnOnce(&Player)) -> PlaybackStatus {
        let current = self.current();
        if let Some((_, player)) = current.as_ref() {
            change(player);
        }
        status(current.as_ref())
    }

    /// Stops and lets go of the loaded recording (its file may be about to go).
    pub fn release(&self) {
        *self.current() = None;
    }

    fn device(&self) -> MutexGuard<'_, Option<String>> {
        self.device.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn current(&self) -> MutexGuard<'_, Option<(CallId, Player)>> {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn status(current: Option<&(CallId, Player)>) -> PlaybackStatus {
    match current {
        Some((call, player)) => PlaybackStatus {
            call_id: Some(*call),
            playing: player.is_playing(),
            position_ms: player.position_ms(),
            duration_ms: player.duration_ms(),
            volume: player.volume(),
            muted: player.is_muted(),
            level_dbfs: player.level().rms_dbfs,
            error: player.stream_error(),
        },
        None => PlaybackStatus {
            call_id: None,
            playing: false,
            position_ms: 0,
            duration_ms: 0,
            volume: 1.0,
            muted: false,
            level_dbfs: switchboard_audio::FLOOR_DBFS,
            error: None,
        },
    }
}
