//! The speech-gather backend: opens the call's session, then has Twilio place the call with the
//! listener's voice URL, where [`GatherCalls`] takes the conversation from there.
//!
//! Placing the call is the shared Twilio dialer's work (status callbacks, AMD, recording, the
//! call filed in `LiveCalls` and its Call SID recorded); Twilio fetches the call's TwiML from
//! the voice URL.

use std::time::Duration;

use switchboard_core::{BackendKind, CallId, ControlAction};
use switchboard_providers::twilio::CallInstructions;
use tokio::sync::mpsc;

use super::calls::GatherCalls;
use super::session::{GatherRefusal, Session, Stored};
use super::twiml::voice_url;
use crate::backends::twilio::{NO_TWILIO, RecordedBy, TwilioDialer};
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallBackend, CallCommand, CallRequest, TAKEN_OVER};

const BACKEND: &str = "Twilio gather";

/// Calls whose conversation is Twilio `<Gather input="speech">` turns driven by the engine.
#[derive(Clone)]
pub struct GatherBackend {
    calls: GatherCalls,
    dialer: TwilioDialer,
}

impl GatherBackend {
    /// Gather calls answered by `calls`, placed with `dialer` (which shares the listener's
    /// `LiveCalls`).
    pub fn new(calls: GatherCalls, dialer: TwilioDialer) -> Self {
        Self { calls, dialer }
    }
}

impl CallBackend for GatherBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Gather
    }

    fn configured(&self) -> bool {
        self.calls.configured() && self.dialer.configured()
    }

    /// Should Twilio's callbacks all be lost, the dialer's reconciler ends the call as they
    /// would have; the call task waits for it.
    fn report_delay(&self) -> Duration {
        self.dialer.report_delay()
    }

    /// Twilio holds the call on its `<Gather>` while the app restarts, and asks again after:
    /// the session is in the store, so the conversation carries on.
    fn keeps_calls_across_restarts(&self) -> bool {
        true
    }

    /// Hangs up the Twilio call holding the conversation.
    fn hang_up(&self, call: CallId) -> BoxFuture<'static, Result<(), BackendError>> {
        let dialer = self.dialer.clone();
        Box::pin(async move { dialer.hang_up(BACKEND, call).await })
    }

    /// A note and a line need only the stored session; an end and a hand-over go through the
    /// Twilio call.
    fn can(&self, action: ControlAction) -> Result<(), String> {
        match action {
            ControlAction::Steer | ControlAction::Say => Ok(()),
            _ if self.dialer.configured() => Ok(()),
            _ => Err(NO_TWILIO.to_owned()),
        }
    }

    fn control(&self, call: CallId, command: CallCommand) -> BoxFuture<'static, Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            let failed = |error: GatherRefusal| BackendError {
                backend: BACKEND.to_owned(),
                message: format!("the call's session could not be written: {error}"),
            };
            match command {
                CallCommand::End => backend.dialer.hang_up(BACKEND, call).await,
                CallCommand::TakeOver { to } => {
                    backend.dialer.take_over(BACKEND, call, &to).await?;
                    backend.calls.ended(call, TAKEN_OVER).await.map_err(failed)
                }
                CallCommand::Steer { note } => backend.calls.steer(call, &note).await.map_err(failed),
                CallCommand::Say { line } => backend.calls.say_next(call, &line).await.map_err(failed),
            }
        })
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            let calling = backend.dialer.calling(BACKEND)?;
            let session = Session::new(&request);
            Stored::create(&backend.calls.store, request.call_id, session).await.map_err(|error| BackendError {
                backend: BACKEND.to_owned(),
                message: format!("the call's session could not be stored: {error}"),
            })?;
            let voice_url = voice_url(calling.public_base_url(), request.call_id);
            let call = request.call_id;
            let instructions = CallInstructions::Url(voice_url);
            let sid = backend
                .dialer
                .dial(&calling, &request, instructions, RecordedBy::Twilio, events, BACKEND, Vec::new())
                .await?;
            tracing::info!(%call, call_sid = sid, "gather call placed");
            Ok(())
        })
    }
}
