//! Commands of the recording player: devices, play from a point, pause, seek, volume, mute, and
//! where playback is (polled by the console while a recording is loaded).

use switchboard_core::CallId;
use switchboard_engine::ErrorCode;
use switchboard_speaker::SpeakerError;
use switchboard_store::StoreError;
use tauri::State;

use super::{Reply, engine, query, with_store};
use crate::console::Console;
use crate::dto::CommandError;
use crate::playback::{AUDIO_DEVICE, AudioDevices, PlaybackStatus, Speakers};

impl From<SpeakerError> for CommandError {
    fn from(err: SpeakerError) -> Self {
        CommandError::new(ErrorCode::AudioUnavailable, err.to_string())
    }
}

#[tauri::command]
pub fn audio_devices(speakers: State<'_, Speakers>) -> Reply<AudioDevices> {
    Ok(speakers.devices()?)
}

/// Plays on `name` from now on (`null`: the system default), remembered across restarts.
#[tauri::command]
pub async fn choose_audio_device(
    console: State<'_, Console>,
    speakers: State<'_, Speakers>,
    name: Option<String>,
) -> Reply<()> {
    let saved = name.clone().unwrap_or_default();
    with_store(&console, move |store| store.set_setting(AUDIO_DEVICE, &saved)).await?;
    speakers.choose_device(name);
    Ok(())
}

/// Plays a call's recording from `from_ms`.
#[tauri::command]
pub async fn play_recording(
    console: State<'_, Console>,
    speakers: State<'_, Speakers>,
    call_id: CallId,
    from_ms: u64,
) -> Reply<PlaybackStatus> {
    let recording = query(&console, move |store| store.recording(call_id)).await?;
    let recording = recording
        .filter(|recording| recording.deleted_at.is_none())
        .ok_or_else(|| CommandError::from(StoreError::NotFound(format!("a recording of call {call_id}"))))?;
    let recordings = engine(&console)?
        .recordings()
        .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "this profile keeps no recordings"))?;
    Ok(speakers.play(call_id, &recordings.path_of(&recording.file), from_ms)?)
}

#[tauri::command]
pub fn pause_recording(speakers: State<'_, Speakers>) -> PlaybackStatus {
    speakers.with_player(|player| player.pause())
}

#[tauri::command]
pub fn seek_recording(speakers: State<'_, Speakers>, position_ms: u64) -> PlaybackStatus {
    speakers.with_player(|player| player.seek(position_ms))
}

#[tauri::command]
pub fn set_playback_volume(speakers: State<'_, Speakers>, volume: f32, muted: bool) -> PlaybackStatus {
    speakers.with_player(|player| {
        player.set_volume(volume);
        player.set_muted(muted);
    })
}

#[tauri::command]
pub fn playback_status(speakers: State<'_, Speakers>) -> PlaybackStatus {
    speakers.with_player(|_| {})
}
