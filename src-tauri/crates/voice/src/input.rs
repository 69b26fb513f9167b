//! What the session hears from each of the call's tasks: the reader, speech-to-text, the
//! playout and the agent's turns.

use std::time::Instant;

use switchboard_providers::anthropic::Message;
use switchboard_providers::deepgram::ListenEvent;

/// Everything the session hears, from each of the call's tasks.
#[derive(Debug)]
pub(crate) enum Input {
    Heard(ListenEvent),
    /// Deepgram failed and could not be reopened.
    ListenFailed(String),
    Dtmf(String),
    Mark(String),
    /// Twilio's `stop`: the call is over at its end.
    Stopped,
    /// The media socket closed without a `stop`.
    MediaClosed,
    FirstFrame {
        turn: u32,
        at: Instant,
    },
    Turn(u32, TurnReport),
}

/// What a turn reports to the session, tagged with its id.
#[derive(Debug)]
pub(crate) enum TurnReport {
    FirstToken(Instant),
    /// A sentence handed to TTS.
    Sentence(String),
    /// Synthesised audio: its length in μ-law bytes and its characters' timing.
    Audio {
        bytes: usize,
        alignment: Option<switchboard_providers::elevenlabs_tts::Alignment>,
        at: Instant,
    },
    /// The model recorded a field.
    Field {
        key: String,
        value: String,
    },
    /// All audio and the mark are queued; once it has played the conversation gains
    /// `messages` (empty for a fixed phrase: the session adds the words).
    Done {
        messages: Vec<Message>,
        ending: Option<TurnEnding>,
    },
    Failed(TurnFailure),
}

/// How the model asked to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TurnEnding {
    EndCall {
        reason: String,
    },
    Transfer {
        reason: String,
    },
    /// Its `record_field` calls completed every required field.
    AllCollected,
}

/// Why a turn could not finish.
#[derive(Debug, Clone)]
pub(crate) struct TurnFailure {
    pub(crate) reason: String,
    /// TTS itself failed (so an apology cannot be spoken).
    pub(crate) speech_lost: bool,
}
