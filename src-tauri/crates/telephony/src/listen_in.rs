//! The dispatcher listening in on one live call: a pipeline (or simulated) call's own tap, or for a call a
//! hosted agent holds over Twilio, a monitor fork of it into the same tap. Stopping lets go of
//! the tap and stops the fork.

pub mod fork;

use switchboard_core::{BackendKind, CallId};

use crate::backends::TWILIO_CALL_REF;
pub use fork::{Fork, ForkError, HostedForking};
use switchboard_engine::Engine;
use switchboard_engine::blocking;
use switchboard_engine::listen_in::Listening;

/// Listening to a call: its frames, and what stops its fork (dropping it stops the frames but
/// leaves a fork running until the call ends).
pub struct ListeningIn {
    pub listening: Listening,
    fork: Option<(HostedForking, Fork)>,
}

/// Why a call cannot be listened to.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("call {0} does not exist")]
    NotFound(CallId),
    #[error("call {0} is over ({1}): only live calls can be listened to")]
    NotLive(CallId, &'static str),
    #[error("call {0} has no Twilio call yet to listen to (it may still be dialling)")]
    NoTwilioCall(CallId),
    #[error("listening to hosted calls needs the Twilio account (Settings → Keys)")]
    NoTwilio,
    #[error("could not fork the call's audio: {0}")]
    Fork(#[from] ForkError),
    #[error("could not read the call: {0}")]
    Store(String),
}

/// Starts listening to `call`: its tap directly for a pipeline call, else a monitor fork
/// through `forking` of the Twilio call the hosted backend recorded.
pub async fn listen_in(
    engine: &Engine,
    forking: Option<&HostedForking>,
    call: CallId,
) -> Result<ListeningIn, ListenError> {
    let store = std::sync::Arc::clone(engine.store());
    let (summary, facts) =
        blocking(move || Ok::<_, switchboard_store::StoreError>((store.call(call)?, store.provider_facts(call).ok())))
            .await
            .map_err(|error| ListenError::Store(error.to_string()))?;
    let summary = summary.ok_or(ListenError::NotFound(call))?;
    if summary.state.is_terminal() {
        return Err(ListenError::NotLive(call, summary.state.as_str()));
    }
    match summary.backend {
        BackendKind::Pipeline | BackendKind::Simulator => {
            Ok(ListeningIn { listening: engine.live_audio().listen(call), fork: None })
        }
        BackendKind::ElevenLabs | BackendKind::Ultravox | BackendKind::Vapi | BackendKind::Gather => {
            let forking = forking.ok_or(ListenError::NoTwilio)?;
            let call_sid = facts
                .and_then(|mut facts| facts.refs.remove(TWILIO_CALL_REF))
                .ok_or(ListenError::NoTwilioCall(call))?;
            // Subscribe first, so no frame of the fork comes before its listener.
            let listening = engine.live_audio().listen(call);
            let fork = forking.start(call, &call_sid).await?;
            Ok(ListeningIn { listening, fork: Some((forking.clone(), fork)) })
        }
    }
}

impl ListeningIn {
    /// The call listened to.
    pub fn call_id(&self) -> CallId {
        self.listening.call_id
    }

    /// Splits into the frames and what stops the fork (for a task that drains the frames).
    pub fn into_parts(self) -> (Listening, StopFork) {
        (self.listening, StopFork(self.fork))
    }
}

/// Stops a listened call's fork at Twilio, if it has one.
pub struct StopFork(Option<(HostedForking, Fork)>);

impl StopFork {
    pub async fn stop(self) -> Result<(), ForkError> {
        match self.0 {
            Some((forking, fork)) => forking.stop(&fork).await,
            None => Ok(()),
        }
    }
}
