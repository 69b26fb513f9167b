//! The simulator as a `CallBackend`: each call runs as a task that paces the script like speech.

use std::time::Duration;

use switchboard_core::{AgentPurpose, BackendKind, CallState};
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest};
use tokio::sync::mpsc;

use crate::conversation::quote_conversation;
use crate::persona::VendorPersona;

/// Simulator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimSettings {
    /// How much faster than real time calls play (1.0 = real time).
    pub time_scale: f64,
    /// Mixed into every persona's seed; change it for a different cast.
    pub seed: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self { time_scale: 1.0, seed: 0x5157_4348 }
    }
}

/// Speaking pace of both sides, in words per minute.
const WORDS_PER_MINUTE: f64 = 160.0;
/// Pause between one speaker finishing and the other starting.
const TURN_GAP: Duration = Duration::from_millis(600);
const DIAL_TIME: Duration = Duration::from_millis(800);
const RING_TIME: Duration = Duration::from_millis(3_000);

/// The built-in simulated carrier.
#[derive(Debug, Clone, Default)]
pub struct Simulator {
    settings: SimSettings,
}

impl Simulator {
    /// A simulator with these settings. A time scale below 0.01 is raised to 0.01.
    pub fn new(settings: SimSettings) -> Self {
        Self { settings: SimSettings { time_scale: settings.time_scale.max(0.01), ..settings } }
    }
}

impl CallBackend for Simulator {
    fn kind(&self) -> BackendKind {
        BackendKind::Simulator
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let settings = self.settings;
        Box::pin(async move {
            tokio::spawn(play_call(request, events, settings));
            Ok(())
        })
    }
}

/// Plays one call. Stops quietly if the engine stops listening.
async fn play_call(request: CallRequest, events: mpsc::Sender<BackendEvent>, settings: SimSettings) {
    let scaled = |real: Duration| real.div_f64(settings.time_scale);
    let persona = VendorPersona::for_contact(&request.contact, &request.to, settings.seed);
    let persona = match request.agent.config.purpose {
        AgentPurpose::VendorNegotiation => persona.negotiating(),
        _ => persona,
    };
    let script = quote_conversation(&request, &persona);

    tokio::time::sleep(scaled(DIAL_TIME)).await;
    if events.send(BackendEvent::Ringing).await.is_err() {
        return;
    }
    tokio::time::sleep(scaled(RING_TIME)).await;
    if events.send(BackendEvent::Answered).await.is_err() {
        return;
    }
    let mut call_time = Duration::ZERO;
    for turn in script {
        let speaking = TURN_GAP + speaking_time(&turn.text);
        tokio::time::sleep(scaled(speaking)).await;
        call_time += speaking;
        let offset_ms = u32::try_from(call_time.as_millis()).unwrap_or(u32::MAX);
        if events.send(BackendEvent::Line { speaker: turn.speaker, text: turn.text, offset_ms }).await.is_err() {
            return;
        }
        if let Some((key, value)) = turn.field
            && events.send(BackendEvent::Field { key, value }).await.is_err()
        {
            return;
        }
    }
    let reason = "the vendor answered every question and the agent said goodbye".to_owned();
    // The engine may have stopped listening; then there is no one left to tell.
    let _ = events.send(BackendEvent::Ended { state: CallState::Completed, reason }).await;
}

/// How long `text` takes to say at [`WORDS_PER_MINUTE`].
fn speaking_time(text: &str) -> Duration {
    let words = text.split_whitespace().count() as f64;
    Duration::from_secs_f64(words * 60.0 / WORDS_PER_MINUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_is_paced_by_word_count() {
        assert_eq!(speaking_time("one two three four"), Duration::from_millis(1_500));
        assert_eq!(speaking_time(""), Duration::ZERO);
    }
}
