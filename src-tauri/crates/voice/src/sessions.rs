//! The calls whose media stream is expected: a backend files each call with a fresh token
//! before Twilio dials, the token travels as a `<Parameter>` of the `<Stream>`, and the media
//! route hands the stream to the call only when the `start` message names the call with its
//! token. A wrong or missing token claims nothing and leaves the call waiting for its stream.
//! A claimed call stays filed while its session runs, so that an answering machine's verdict
//! reaches the session ([`PipelineSessions::machine_answered`]).
//!
//! The backend's TwiML: `<Connect><Stream url="wss://<public>/twilio/media"><Parameter
//! name="callId" value="<call id>"/><Parameter name="token" value="<token>"/></Stream></Connect>`;
//! a call that ends without its stream (busy, no answer) is taken back with
//! [`PipelineSessions::cancel`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use switchboard_core::CallId;
use tokio::sync::{mpsc, oneshot};

use crate::greeting::PreparedGreeting;
use crate::{MonitorForks, PipelineCall};

/// The `<Parameter>` naming the call (Switchboard's call id).
pub const CALL_ID_PARAMETER: &str = "callId";
/// The `<Parameter>` carrying the call's token.
pub const TOKEN_PARAMETER: &str = "token";

/// Shared by the backend (which files calls), the listener's media route (which claims them)
/// and its inbox (which tells a running session that a machine answered).
#[derive(Clone, Default)]
pub struct PipelineSessions {
    filed: Arc<Mutex<HashMap<CallId, Filed>>>,
    monitor_forks: MonitorForks,
}

enum Filed {
    /// Waiting for its media stream, its greeting being synthesised; `ending` as for `Running`
    /// (a hang-up can come before the stream does), carried over when the stream claims it.
    Expected {
        token: String,
        call: Box<PipelineCall>,
        greeting: Option<PreparedGreeting>,
        ending: Option<DispatchersEnd>,
    },
    /// Its session runs; the verdict is sent once; the dispatcher's notes and lines go to it;
    /// `ending` while the dispatcher hangs the call up or takes it over.
    Running {
        machine: Option<oneshot::Sender<()>>,
        dispatcher: mpsc::Sender<Instruction>,
        ending: Option<DispatchersEnd>,
    },
}

/// How the dispatcher is ending a running session's call: the stream's end this causes ends the
/// call as theirs, whichever report reaches the call first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchersEnd {
    HangUp,
    TakeOver,
}

/// What the dispatcher tells a running session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    /// A note the agent follows from its next turn (it joins the model's system prompt).
    Steer(String),
    /// A line the agent says next, through TTS, once what it is saying has played.
    Say(String),
}

/// The dispatcher's instructions a session may have waiting.
const INSTRUCTIONS_QUEUE: usize = 8;

/// A claimed call and the answering machine's verdict, should one come while its session runs.
pub(crate) struct Claimed {
    pub(crate) call: PipelineCall,
    pub(crate) machine: oneshot::Receiver<()>,
    /// The dispatcher's notes and lines.
    pub(crate) instructions: mpsc::Receiver<Instruction>,
    /// Keeps the call filed as running.
    pub(crate) filed: Running,
    /// The greeting synthesised while the phone rang.
    pub(crate) greeting: Option<PreparedGreeting>,
}

/// Files a claimed call as running until dropped (its session ended).
pub(crate) struct Running {
    sessions: PipelineSessions,
    call_id: CallId,
}

impl Running {
    /// How the dispatcher is ending the call, if they are ([`PipelineSessions::set_dispatchers_end`]).
    pub(crate) fn dispatchers_end(&self) -> Option<DispatchersEnd> {
        match self.sessions.lock().get(&self.call_id) {
            Some(Filed::Running { ending, .. }) => *ending,
            _ => None,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut filed = self.sessions.lock();
        if matches!(filed.get(&self.call_id), Some(Filed::Running { .. })) {
            filed.remove(&self.call_id);
        }
    }
}

/// Why a media stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("the start message has no {CALL_ID_PARAMETER} parameter")]
    NoCallId,
    #[error("no pipeline call {0} is waiting for its media stream")]
    UnknownCall(String),
    #[error("the token for call {0} is missing or wrong")]
    WrongToken(CallId),
}

impl PipelineSessions {
    /// Files `call` as expecting its media stream and starts synthesising its greeting (on the
    /// current runtime); returns the token to send as the stream's [`TOKEN_PARAMETER`] (32
    /// random bytes, hex). Filing a call again replaces its token.
    pub fn expect(&self, call: PipelineCall) -> Result<String, getrandom::Error> {
        let token = new_token()?;
        let greeting = (!call.first_message.trim().is_empty()).then(|| PreparedGreeting::start(&call));
        self.lock().insert(
            call.call_id,
            Filed::Expected { token: token.clone(), call: Box::new(call), greeting, ending: None },
        );
        Ok(token)
    }

    /// Forgets a call whose stream will not come (it was never answered); true when it was
    /// waiting for it.
    pub fn cancel(&self, call_id: CallId) -> bool {
        let mut filed = self.lock();
        if !matches!(filed.get(&call_id), Some(Filed::Expected { .. })) {
            return false;
        }
        filed.remove(&call_id).is_some()
    }

    /// How many calls are waiting for their stream.
    pub fn waiting(&self) -> usize {
        self.lock().values().filter(|filed| matches!(filed, Filed::Expected { .. })).count()
    }

    /// An answering machine answered `call_id`: true when its running session takes the verdict
    /// (and ends the call with the voicemail policy itself). A call still waiting for its stream
    /// is forgotten, so that no stream can claim it any more, and the verdict is the Twilio
    /// dialer's to apply, as for a call with no session.
    pub fn machine_answered(&self, call_id: CallId) -> bool {
        let mut filed = self.lock();
        match filed.get_mut(&call_id) {
            Some(Filed::Running { machine, .. }) => machine.take().is_some_and(|verdict| verdict.send(()).is_ok()),
            Some(Filed::Expected { .. }) => {
                filed.remove(&call_id);
                false
            }
            None => false,
        }
    }

    /// Passes the dispatcher's `instruction` to the running session of `call_id`; `Err` says why
    /// it cannot be.
    pub fn instruct(&self, call_id: CallId, instruction: Instruction) -> Result<(), &'static str> {
        match self.lock().get(&call_id) {
            Some(Filed::Running { dispatcher, .. }) => dispatcher.try_send(instruction).map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => {
                    "the agent has too many notes and lines waiting; try again shortly"
                }
                mpsc::error::TrySendError::Closed(_) => "the call's conversation is over",
            }),
            Some(Filed::Expected { .. }) => Err("the callee has not answered yet"),
            None => Err("the call's conversation does not run in this process"),
        }
    }

    /// Notes that the dispatcher is hanging up or taking over `call_id` (`None`: that failed,
    /// the call stays), so that the stream's end it causes ends the call as theirs, whichever of
    /// the two reports reaches the call first.
    pub fn set_dispatchers_end(&self, call_id: CallId, end: Option<DispatchersEnd>) {
        if let Some(Filed::Running { ending, .. } | Filed::Expected { ending, .. }) = self.lock().get_mut(&call_id) {
            *ending = end;
        }
    }

    /// Hands over the call named by a `start` message's parameters when its token matches; it
    /// stays filed as running while the [`Claimed`] lives.
    pub(crate) fn claim(&self, call_id: Option<&str>, token: Option<&str>) -> Result<Claimed, Refusal> {
        let call_id = call_id.ok_or(Refusal::NoCallId)?;
        let id = call_id.trim().parse().map(CallId).map_err(|_| Refusal::UnknownCall(call_id.to_owned()))?;
        let mut filed = self.lock();
        let Some(Filed::Expected { token: expected, ending, .. }) = filed.get(&id) else {
            return Err(Refusal::UnknownCall(call_id.to_owned()));
        };
        if !token.is_some_and(|token| same_text(token, expected)) {
            return Err(Refusal::WrongToken(id));
        }
        let (verdict, machine) = oneshot::channel();
        let (dispatcher, instructions) = mpsc::channel(INSTRUCTIONS_QUEUE);
        let running = Filed::Running { machine: Some(verdict), dispatcher, ending: *ending };
        let Some(Filed::Expected { call, greeting, .. }) = filed.insert(id, running) else {
            unreachable!("just found waiting")
        };
        drop(filed);
        let filed = Running { sessions: self.clone(), call_id: id };
        Ok(Claimed { call: *call, machine, instructions, filed, greeting })
    }

    /// The listen-in forks of hosted calls whose monitor streams the media route expects.
    pub fn monitor_forks(&self) -> &MonitorForks {
        &self.monitor_forks
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, Filed>> {
        self.filed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fresh stream token: 32 random bytes, hex.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Compares in time that depends only on the lengths, not on where the texts differ.
pub fn same_text(presented: &str, expected: &str) -> bool {
    presented.len() == expected.len()
        && presented.bytes().zip(expected.bytes()).fold(0_u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use switchboard_core::CallId;
    use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
    use switchboard_providers::deepgram::{DeepgramClient, DeepgramConfig};
    use switchboard_providers::elevenlabs::ElevenLabsConfig;
    use switchboard_providers::elevenlabs_tts::ElevenLabsTtsClient;
    use switchboard_providers::{HttpSettings, Secret};
    use tokio::sync::mpsc;

    use super::{PipelineSessions, Refusal, same_text};
    use crate::{PipelineCall, PipelineClients};
    use switchboard_engine::test_support::quote_request;

    /// Files the test call; returns its token.
    fn file(sessions: &PipelineSessions) -> String {
        let (http, key, base_url) = (HttpSettings::default(), Secret::new("key"), "http://127.0.0.1:9".to_owned());
        let clients = PipelineClients {
            deepgram: DeepgramClient::new(DeepgramConfig { base_url: base_url.clone(), api_key: key.clone() }, &http)
                .unwrap(),
            anthropic: AnthropicClient::new(
                AnthropicConfig { base_url: base_url.clone(), api_key: key.clone() },
                &http,
            )
            .unwrap(),
            tts: ElevenLabsTtsClient::new(ElevenLabsConfig { base_url, api_key: key }, &http).unwrap(),
        };
        let call = PipelineCall::new(&quote_request(|_| {}), clients, mpsc::channel(1).0, mpsc::channel(1).0);
        sessions.expect(call).unwrap()
    }

    #[tokio::test]
    async fn a_machine_before_the_stream_leaves_the_verdict_to_the_dialer_and_no_stream_can_claim_the_call() {
        let sessions = PipelineSessions::default();
        let token = file(&sessions);
        assert!(!sessions.machine_answered(CallId(7)));
        assert_eq!(sessions.waiting(), 0);
        let refused = sessions.claim(Some("7"), Some(&token)).err();
        assert_eq!(refused, Some(Refusal::UnknownCall("7".into())));
    }

    #[tokio::test]
    async fn a_running_session_takes_the_machine_verdict_once_and_is_let_go_when_it_ends() {
        let sessions = PipelineSessions::default();
        let token = file(&sessions);
        assert_eq!(sessions.claim(Some("7"), Some("wrong")).err(), Some(Refusal::WrongToken(CallId(7))));
        let mut claimed = sessions.claim(Some("7"), Some(&token)).unwrap();
        assert_eq!(sessions.waiting(), 0, "running, not waiting");
        assert!(!sessions.cancel(CallId(7)), "a running call is not taken back");
        assert!(sessions.machine_answered(CallId(7)));
        assert_eq!(claimed.machine.try_recv(), Ok(()));
        assert!(!sessions.machine_answered(CallId(7)), "the verdict is taken once");
        drop(claimed);
        assert!(sessions.lock().is_empty(), "the ended session is let go");
    }

    #[test]
    fn texts_match_only_when_equal() {
        assert!(same_text("abc", "abc"));
        assert!(!same_text("abd", "abc"));
        assert!(!same_text("ab", "abc"));
        assert!(!same_text("", "abc"));
    }
}
