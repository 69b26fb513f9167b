//! Commands of listening in on a live call: start (on the output device chosen in Settings),
//! stop, volume and mute, and where listening is (polled by the console while listening).

use switchboard_core::CallId;
use switchboard_engine::ErrorCode;
use switchboard_telephony::listen_in::ListenError;

use super::{Reply, engine};
use crate::dto::CommandError;
use crate::listen_in::{ListenFailure, ListeningStatus};
use crate::operations::Ctx;

impl From<ListenFailure> for CommandError {
    fn from(failure: ListenFailure) -> Self {
        match failure {
            ListenFailure::Speaker(error) => error.into(),
            ListenFailure::Call(error) => error.into(),
            ListenFailure::Team(error) => error,
        }
    }
}

impl From<ListenError> for CommandError {
    fn from(error: ListenError) -> Self {
        let code = match &error {
            ListenError::NotFound(_) => ErrorCode::NotFound,
            ListenError::NotLive(..) | ListenError::NoTwilioCall(_) => ErrorCode::InvalidInput,
            ListenError::NoTwilio => ErrorCode::BackendUnavailable,
            ListenError::Fork(_) => ErrorCode::BackendFailed,
            ListenError::Store(_) => ErrorCode::Storage,
        };
        CommandError::new(code, error.to_string())
    }
}

/// Listens to a live call on the speakers (both parties mixed), instead of any call before: a
/// call of the engine beside the window, or signed in, of the team server's.
pub async fn listen_to_call(ctx: &Ctx<'_>, call_id: CallId) -> Reply<ListeningStatus> {
    let desktop = ctx.desktop()?;
    let device = desktop.speakers.chosen_device();
    let listening = match desktop.team.current() {
        Some(server) => desktop.listening.listen_over(&server, call_id, device.as_deref()).await,
        None => desktop.listening.listen(&*engine(ctx.console)?, call_id, device.as_deref()).await,
    };
    Ok(listening?)
}

pub async fn stop_listening(ctx: &Ctx<'_>) -> Reply<ListeningStatus> {
    let listening = ctx.listening()?;
    listening.stop().await;
    Ok(listening.with_monitor(|_| {}))
}

pub async fn set_listening_volume(ctx: &Ctx<'_>, volume: f32, muted: bool) -> Reply<ListeningStatus> {
    Ok(ctx.listening()?.with_monitor(|monitor| {
        monitor.set_volume(volume);
        monitor.set_muted(muted);
    }))
}

pub async fn listening_status(ctx: &Ctx<'_>) -> Reply<ListeningStatus> {
    Ok(ctx.listening()?.with_monitor(|_| {}))
}

#[cfg(test)]
mod tests {
    use switchboard_core::CallId;
    use switchboard_speaker::SpeakerError;

    use super::*;

    #[test]
    fn no_device_is_audio_unavailable_and_a_call_that_cannot_be_heard_says_why() {
        let error = CommandError::from(ListenFailure::Speaker(SpeakerError::NoDevice("no default output".into())));
        assert_eq!(error.code, ErrorCode::AudioUnavailable);
        assert_eq!(error.message, "no audio output device: no default output");
        let error = CommandError::from(ListenFailure::Call(ListenError::NotLive(CallId(4), "completed")));
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.message.contains("only live calls"), "{}", error.message);
        let error = CommandError::from(ListenFailure::Call(ListenError::NoTwilio));
        assert_eq!(error.code, ErrorCode::BackendUnavailable);
    }
}
