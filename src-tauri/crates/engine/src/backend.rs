//! The one interface every call backend implements: the simulator and each hosted provider.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use switchboard_core::{
    Agent, AgentConfig, AudioPacing, BackendKind, CallId, CallState, CallUsage, Contact, ControlAction, HeardLatency,
    Speaker, TurnLatency, Variables,
};
use tokio::sync::mpsc;

/// A boxed future, so backends can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything a backend needs to place one call.
#[derive(Debug, Clone)]
pub struct CallRequest {
    pub call_id: CallId,
    /// The number to dial, E.164.
    pub to: String,
    /// The extension to key in once the call connects (digits), for backends that can
    /// ([`switchboard_core::BackendKind::dials_extensions`]).
    pub extension: Option<String>,
    pub agent: Agent,
    pub contact: Contact,
    /// The agent's system prompt with its variables filled in.
    pub system_prompt: String,
    /// The agent's first message with its variables filled in.
    pub first_message: String,
    /// The message to leave on an answering machine (filled in), or `None` to hang up.
    pub voicemail: Option<String>,
    /// Which attempt at this contact this call is (1 for the first).
    pub attempt: u32,
    /// The template variables the texts were rendered with (contact, agent, caller-supplied),
    /// for backends that render on the provider's side too.
    pub variables: Variables,
    /// Where a backend that records the call itself writes the recording while the call lasts:
    /// the recordings directory, so that keeping it is a rename; `None` when none are kept.
    pub recording_dir: Option<PathBuf>,
}

/// What a backend reports about a call it placed, in the order it learns it.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendEvent {
    Ringing,
    Answered,
    /// A finished utterance. `offset_ms` is the time in the call since it was answered.
    Line {
        speaker: Speaker,
        text: String,
        offset_ms: u32,
    },
    /// A value the agent collected.
    Field {
        key: String,
        value: String,
    },
    /// How long one agent turn took at each hop (backends that run the conversation themselves).
    TurnLatency(TurnLatency),
    /// What the callee heard, read from the call's recording (calls the engine voiced itself).
    HeardLatency(HeardLatency),
    /// How well the agent's audio kept time over the whole call (backends that pace it themselves).
    AudioPacing(AudioPacing),
    /// What the call used so far that it is billed for (added to what was reported before),
    /// from backends that count it themselves; priced with the call's end.
    Usage(CallUsage),
    /// The call's audio, whole (a WAV or MP3 file's bytes), to keep for offline review.
    Recording {
        audio: Vec<u8>,
        /// The file extension saying how the audio is encoded ("wav", "mp3").
        extension: &'static str,
        duration_ms: u32,
    },
    /// The call's audio in a WAV file the engine wrote itself (the pipeline's recorder): moved
    /// where recordings are kept, or deleted when none are.
    RecordingFile {
        path: PathBuf,
        duration_ms: u32,
    },
    /// The call is over. `state` must be terminal; `reason` says why in words.
    Ended {
        state: CallState,
        reason: String,
    },
}

/// Why a call the dispatcher ended early ended: its `Ended` reason (the state is `Canceled`).
pub const ENDED_BY_DISPATCHER: &str = "ended by the dispatcher";

/// What a backend that cannot end its calls from the app says when asked to.
pub const CANNOT_HANG_UP: &str = "this backend cannot end a call from here";

/// Why a call the dispatcher took over ended: its `Ended` reason (the state is `Completed`).
pub const TAKEN_OVER: &str = "transferred to the dispatcher";

/// What the dispatcher asks of a call on the line, with what they typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCommand {
    /// Hang up ([`CallBackend::hang_up`]).
    End,
    /// Connect the callee to `to` (the dispatcher's phone, E.164); the call ends [`TAKEN_OVER`].
    TakeOver { to: String },
    /// The agent follows `note` from its next turn.
    Steer { note: String },
    /// The agent says `line` next.
    Say { line: String },
}

impl CallCommand {
    /// The command for `action` with the text the dispatcher typed (the number, for a take-over).
    pub fn new(action: ControlAction, text: &str) -> Self {
        let text = text.trim().to_owned();
        match action {
            ControlAction::End => Self::End,
            ControlAction::TakeOver => Self::TakeOver { to: text },
            ControlAction::Steer => Self::Steer { note: text },
            ControlAction::Say => Self::Say { line: text },
        }
    }

    pub fn action(&self) -> ControlAction {
        match self {
            Self::End => ControlAction::End,
            Self::TakeOver { .. } => ControlAction::TakeOver,
            Self::Steer { .. } => ControlAction::Steer,
            Self::Say { .. } => ControlAction::Say,
        }
    }
}

/// What a backend that offers no way to do `action` says.
pub fn cannot(backend: BackendKind, action: ControlAction) -> String {
    let name = backend.label();
    match action {
        ControlAction::End => CANNOT_HANG_UP.to_owned(),
        ControlAction::TakeOver => format!("{name} offers no way to hand a call to your phone"),
        ControlAction::Steer => format!("{name} offers no way to pass the agent a note during a call"),
        ControlAction::Say => format!("{name} offers no way to have the agent say a typed line"),
    }
}

/// A backend failed to place or run a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{backend}: {message}")]
pub struct BackendError {
    /// Which backend (for example "simulator", "ElevenLabs").
    pub backend: String,
    pub message: String,
}

/// A way of placing calls. Implementations report each call's progress on the channel they are
/// given and end with exactly one [`BackendEvent::Ended`]; the engine closes a call as lost when
/// a backend goes silent.
pub trait CallBackend: Send + Sync + 'static {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// Whether the keys and settings this backend needs are set now; a backend that is not is
    /// unavailable (calls are refused before anything is stored), until they are.
    fn configured(&self) -> bool {
        true
    }

    /// How long after a call's max duration this backend may still take to report its end
    /// (a hosted provider's post-call report comes after its analysis); the engine waits this
    /// much longer before closing a silent call as lost.
    fn report_delay(&self) -> Duration {
        Duration::ZERO
    }

    /// Whether this backend's calls go on without the app (the provider runs them and reports
    /// later), so a restart leaves them open for their report instead of closing them as lost.
    fn keeps_calls_across_restarts(&self) -> bool {
        false
    }

    /// Brings the provider's copy of an agent in line before the agent is saved: `config` as it
    /// will be stored, `previous` the configuration it replaces. Called on the backend the agent
    /// is on (which creates or updates its copy, and may fill in its provider id) and on the one
    /// it leaves (which deletes its copy). Returns the configuration to store; the default
    /// keeps no copy.
    fn sync_agent(
        &self,
        previous: Option<AgentConfig>,
        config: AgentConfig,
    ) -> BoxFuture<'static, Result<AgentConfig, BackendError>> {
        let _ = previous;
        Box::pin(async move { Ok(config) })
    }

    /// Ends a call of this backend that is on the line, from this process: the call ends as
    /// `Canceled` with [`ENDED_BY_DISPATCHER`] (sent on its event channel before the line is
    /// cut, so the callee hanging up in reply cannot be taken for the reason). The default says
    /// this backend cannot, and the call is left to finish.
    fn hang_up(&self, call: CallId) -> BoxFuture<'static, Result<(), BackendError>> {
        let _ = call;
        let backend = self.kind().as_str().to_owned();
        Box::pin(async move { Err(BackendError { backend, message: CANNOT_HANG_UP.to_owned() }) })
    }

    /// Whether the dispatcher can do `action` to this backend's calls now; `Err` says why not,
    /// in words for the window. By default only [`CallBackend::hang_up`] is tried.
    fn can(&self, action: ControlAction) -> Result<(), String> {
        match action {
            ControlAction::End => Ok(()),
            other => Err(cannot(self.kind(), other)),
        }
    }

    /// Carries out the dispatcher's `command` on `call`, on the line: an end through
    /// [`CallBackend::hang_up`]; a take-over ends the call as `Completed` with [`TAKEN_OVER`]
    /// once the provider has it (sent on its event channel, like a hang-up). The default does
    /// what [`CallBackend::can`] allows by default.
    fn control(&self, call: CallId, command: CallCommand) -> BoxFuture<'static, Result<(), BackendError>> {
        if command == CallCommand::End {
            return self.hang_up(call);
        }
        let backend = self.kind();
        Box::pin(async move {
            Err(BackendError { backend: backend.as_str().to_owned(), message: cannot(backend, command.action()) })
        })
    }

    /// Places the call. Returns once the call is under way (or could not be placed); its
    /// progress then arrives on `events`.
    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>>;
}

/// Why a call ended when a machine answered and the agent's message was left.
pub const VOICEMAIL_LEFT: &str = "an answering machine answered; the voicemail message was left";
/// Why a call ended when a machine answered and the agent hangs up on machines.
pub const MACHINE_HUNG_UP_ON: &str = "an answering machine answered; hung up without a message";
