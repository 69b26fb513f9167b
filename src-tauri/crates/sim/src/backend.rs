//! The simulator as a `CallBackend`: each call runs as a task that paces the script like speech,
//! until it ends or the dispatcher ends it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use switchboard_core::{AgentPurpose, BackendKind, CallId, CallState, CallUsage, ContactDetails, Speaker};
use switchboard_engine::{
    BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest, ENDED_BY_DISPATCHER, LiveAudio,
};
use tokio::sync::{mpsc, oneshot};

use crate::conversation::{Script, Turn, driver_conversation, person_conversation, vendor_conversation};
use crate::live_voice;
use crate::persona::{Cast, Reach, VendorPersona, driver_stance, reach};
use crate::voice::{self, Utterance};

/// Simulator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimSettings {
    /// How much faster than real time calls play (1.0 = real time).
    pub time_scale: f64,
    /// Mixed into every persona's seed; change it for a different cast.
    pub seed: u64,
    /// Who answers: a realistic mix, or everyone cooperating.
    pub cast: Cast,
    /// Whether answered calls send a recording (a voice-like sound per line, on two tracks).
    pub record: bool,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self { time_scale: 1.0, seed: 0x5157_4348, cast: Cast::Realistic, record: false }
    }
}

/// Speaking pace of both sides, in words per minute.
const WORDS_PER_MINUTE: f64 = 160.0;
/// Pause between one speaker finishing and the other starting.
pub const TURN_GAP: Duration = Duration::from_millis(600);
const DIAL_TIME: Duration = Duration::from_millis(800);
const RING_TIME: Duration = Duration::from_millis(3_000);

/// The built-in simulated carrier.
#[derive(Debug, Clone, Default)]
pub struct Simulator {
    settings: SimSettings,
    /// Where the calls' voices are published while someone listens in.
    live_audio: Option<LiveAudio>,
    /// The calls on the line, each with the way to end it early.
    on_line: Arc<Mutex<HashMap<CallId, oneshot::Sender<()>>>>,
}

impl Simulator {
    /// A simulator with these settings. A time scale below 0.01 is raised to 0.01.
    pub fn new(settings: SimSettings) -> Self {
        Self {
            settings: SimSettings { time_scale: settings.time_scale.max(0.01), ..settings },
            live_audio: None,
            on_line: Arc::default(),
        }
    }

    /// Publishes each call's voices on `audio` (the engine's) while someone listens in.
    pub fn with_live_audio(mut self, audio: LiveAudio) -> Self {
        self.live_audio = Some(audio);
        self
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
        let (settings, live_audio, on_line) = (self.settings, self.live_audio.clone(), Arc::clone(&self.on_line));
        let (hang_up, hung_up) = oneshot::channel();
        let call = request.call_id;
        on_line.lock().unwrap_or_else(PoisonError::into_inner).insert(call, hang_up);
        Box::pin(async move {
            tokio::spawn(async move {
                tokio::select! {
                    () = play_call(request, events.clone(), settings, live_audio) => {}
                    Ok(()) = hung_up => {
                        let ended = BackendEvent::Ended { state: CallState::Canceled, reason: ENDED_BY_DISPATCHER.into() };
                        let _ = events.send(ended).await;
                    }
                }
                on_line.lock().unwrap_or_else(PoisonError::into_inner).remove(&call);
            });
            Ok(())
        })
    }

    /// Ends a simulated call on the line at once: the callee hears no more.
    fn hang_up(&self, call: CallId) -> BoxFuture<'static, Result<(), BackendError>> {
        let hang_up = self.on_line.lock().unwrap_or_else(PoisonError::into_inner).remove(&call);
        Box::pin(async move {
            hang_up.and_then(|hang_up| hang_up.send(()).ok()).ok_or_else(|| BackendError {
                backend: "simulator".into(),
                message: format!("call {call} is not on the line in this run"),
            })
        })
    }
}

/// How long an unanswered phone rings before the carrier gives up.
const NO_ANSWER_AFTER: Duration = Duration::from_secs(25);

/// Plays one call. Stops quietly if the engine stops listening.
async fn play_call(
    request: CallRequest,
    events: mpsc::Sender<BackendEvent>,
    settings: SimSettings,
    live_audio: Option<LiveAudio>,
) {
    let scaled = |real: Duration| real.div_f64(settings.time_scale);
    let send = |event| events.send(event);
    tokio::time::sleep(scaled(DIAL_TIME)).await;
    let reach = reach(settings.cast, settings.seed, &request.to, request.attempt);
    if reach == Reach::Busy {
        let _ = send(BackendEvent::Ended { state: CallState::Busy, reason: "the line was busy".into() }).await;
        return;
    }
    if send(BackendEvent::Ringing).await.is_err() {
        return;
    }
    if reach == Reach::NoAnswer {
        tokio::time::sleep(scaled(NO_ANSWER_AFTER)).await;
        let reason = format!("no answer after {} s of ringing", NO_ANSWER_AFTER.as_secs());
        let _ = send(BackendEvent::Ended { state: CallState::NoAnswer, reason }).await;
        return;
    }
    tokio::time::sleep(scaled(RING_TIME)).await;
    if send(BackendEvent::Answered).await.is_err() {
        return;
    }
    let mut tap = live_audio.map(|audio| audio.tap(request.call_id));
    let script = script(&request, reach, &settings);
    let mut call_time = Duration::ZERO;
    let mut utterances = Vec::new();
    for turn in script.turns {
        let speech = speaking_time(&turn.text);
        let start_ms = millis(call_time + TURN_GAP);
        tokio::time::sleep(scaled(TURN_GAP)).await;
        live_voice::say(tap.as_mut(), turn.speaker, speech, scaled).await;
        call_time += TURN_GAP + speech;
        utterances.push(Utterance { speaker: turn.speaker, start_ms, duration_ms: millis(speech) });
        if send(BackendEvent::Line { speaker: turn.speaker, text: turn.text, offset_ms: start_ms }).await.is_err() {
            return;
        }
        if let Some((key, value)) = turn.field
            && send(BackendEvent::Field { key, value }).await.is_err()
        {
            return;
        }
    }
    if settings.record {
        match tokio::task::spawn_blocking(move || voice::record(request.call_id, &utterances)).await {
            Ok(Ok((audio, duration_ms))) => {
                let _ = send(BackendEvent::Recording { audio, extension: "wav", duration_ms }).await;
            }
            Ok(Err(err)) => tracing::warn!(error = %err, "the simulator could not write its recording"),
            Err(_) => return,
        }
    }
    // The call is priced on the simulator's own clock, not the sped-up one.
    let talk_ms = u64::try_from(call_time.as_millis()).unwrap_or(u64::MAX);
    let _ = send(BackendEvent::Usage(CallUsage { talk_ms, ..CallUsage::default() })).await;
    // The engine may have stopped listening; then there is no one left to tell.
    let _ = send(BackendEvent::Ended { state: script.state, reason: script.ending.to_owned() }).await;
}

/// What is said on an answered call: the persona's conversation, or an answering machine.
pub fn script(request: &CallRequest, reach: Reach, settings: &SimSettings) -> Script {
    if reach == Reach::Voicemail {
        return voicemail(request);
    }
    match &request.contact.fields.details {
        ContactDetails::Person(_) => person_conversation(request),
        ContactDetails::Driver(_) => {
            driver_conversation(request, driver_stance(settings.cast, settings.seed, &request.to))
        }
        ContactDetails::Vendor(_) => {
            let persona = VendorPersona::for_call(&request.to, &request.variables, settings.seed, settings.cast);
            let persona = match request.agent.config.purpose {
                AgentPurpose::VendorNegotiation => persona.negotiating(),
                _ => persona,
            };
            vendor_conversation(request, &persona)
        }
    }
}

/// An answering machine: its greeting, then the agent's message or nothing (per its policy).
fn voicemail(request: &CallRequest) -> Script {
    let mut turns = vec![Turn {
        speaker: Speaker::Callee,
        text: format!("You've reached {}. Please leave a message after the tone.", request.contact.fields.name),
        field: None,
    }];
    let ending = match &request.voicemail {
        Some(message) => {
            turns.push(Turn { speaker: Speaker::Agent, text: message.clone(), field: None });
            "reached voicemail and left the agent's message"
        }
        None => "reached voicemail and hung up, as the agent's policy says",
    };
    Script { turns, ending, state: CallState::Voicemail }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

/// How long `text` takes to say at [`WORDS_PER_MINUTE`].
pub fn speaking_time(text: &str) -> Duration {
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
