//! Commands of the recording player: devices, play from a point, pause, seek, volume, mute, and
//! where playback is (polled by the console while a recording is loaded).

use switchboard_core::CallId;
use switchboard_engine::ErrorCode;
use switchboard_speaker::SpeakerError;
use switchboard_store::StoreError;

use super::{Reply, engine, query, with_store};
use crate::dto::CommandError;
use crate::operations::Ctx;
use crate::playback::{AUDIO_DEVICE, AudioDevices, PlaybackStatus};

impl From<SpeakerError> for CommandError {
    fn from(err: SpeakerError) -> Self {
        CommandError::new(ErrorCode::AudioUnavailable, err.to_string())
    }
}

pub async fn audio_devices(ctx: &Ctx<'_>) -> Reply<AudioDevices> {
    Ok(ctx.speakers()?.devices()?)
}

/// Plays on `name` from now on (`null`: the system default), remembered across restarts.
pub async fn choose_audio_device(ctx: &Ctx<'_>, name: Option<String>) -> Reply<()> {
    let saved = name.clone().unwrap_or_default();
    with_store(ctx.console, move |store| store.set_setting(AUDIO_DEVICE, &saved)).await?;
    ctx.speakers()?.choose_device(name);
    Ok(())
}

/// Plays a call's recording from `from_ms`: a recording of the engine beside the window, or
/// signed in, one fetched from the team server (then kept loaded, so seeking fetches nothing).
pub async fn play_recording(ctx: &Ctx<'_>, call_id: CallId, from_ms: u64) -> Reply<PlaybackStatus> {
    let desktop = ctx.desktop()?;
    match desktop.team.current() {
        Some(server) if !desktop.speakers.has_loaded(call_id) => {
            let fetched = server.recording(call_id).await?;
            desktop.speakers.load(call_id, fetched.path())?;
        }
        Some(_) => {}
        None => {
            let recording = query(ctx.console, move |store| store.recording(call_id)).await?;
            let recording = recording
                .filter(|recording| recording.deleted_at.is_none())
                .ok_or_else(|| CommandError::from(StoreError::NotFound(format!("a recording of call {call_id}"))))?;
            let recordings = engine(ctx.console)?
                .recordings()
                .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "this profile keeps no recordings"))?;
            if !desktop.speakers.has_loaded(call_id) {
                desktop.speakers.load(call_id, &recordings.path_of(&recording.file))?;
            }
        }
    }
    Ok(desktop.speakers.play(call_id, from_ms)?)
}

pub async fn pause_recording(ctx: &Ctx<'_>) -> Reply<PlaybackStatus> {
    Ok(ctx.speakers()?.with_player(|player| player.pause()))
}

pub async fn seek_recording(ctx: &Ctx<'_>, position_ms: u64) -> Reply<PlaybackStatus> {
    Ok(ctx.speakers()?.with_player(|player| player.seek(position_ms)))
}

pub async fn set_playback_volume(ctx: &Ctx<'_>, volume: f32, muted: bool) -> Reply<PlaybackStatus> {
    Ok(ctx.speakers()?.with_player(|player| {
        player.set_volume(volume);
        player.set_muted(muted);
    }))
}

pub async fn playback_status(ctx: &Ctx<'_>) -> Reply<PlaybackStatus> {
    Ok(ctx.speakers()?.with_player(|_| {}))
}
