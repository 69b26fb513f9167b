//! The speech-gather backend: opens the call's session, then has Twilio place the call with the
//! listener's voice URL, where [`GatherCalls`] takes the conversation from there.
//!
//! Placing the call is the shared Twilio dialer's work (status callbacks, AMD, recording): this
//! backend needs only [`TwilioPlacer`], "place a Twilio call whose voice URL is this, file its
//! events channel in `LiveCalls`, and record its Call SID".

use std::sync::Arc;

use switchboard_core::BackendKind;
use tokio::sync::mpsc;

use super::calls::GatherCalls;
use super::session::{Session, Stored};
use crate::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest};

const BACKEND: &str = "Twilio gather";

/// Places a Twilio call for a gather call. The implementation files `events` in the
/// [`LiveCalls`](crate::LiveCalls) the listener shares, records the Call SID as the call's
/// provider id (and its `Twilio call SID` ref), and returns the SID.
pub trait TwilioPlacer: Send + Sync + 'static {
    fn place(
        &self,
        request: CallRequest,
        voice_url: String,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<String, BackendError>>;
}

/// Calls whose conversation is Twilio `<Gather input="speech">` turns driven by the engine.
#[derive(Clone)]
pub struct GatherBackend {
    calls: GatherCalls,
    placer: Arc<dyn TwilioPlacer>,
}

impl GatherBackend {
    pub fn new(calls: GatherCalls, placer: Arc<dyn TwilioPlacer>) -> Self {
        Self { calls, placer }
    }
}

impl CallBackend for GatherBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Gather
    }

    /// Twilio holds the call on its `<Gather>` while the app restarts, and asks again after:
    /// the session is in the store, so the conversation carries on.
    fn keeps_calls_across_restarts(&self) -> bool {
        true
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            let session = Session::new(&request);
            Stored::create(&backend.calls.store, request.call_id, session).await.map_err(|error| BackendError {
                backend: BACKEND.to_owned(),
                message: format!("the call's session could not be stored: {error}"),
            })?;
            let voice_url = backend.calls.voice_url(request.call_id);
            let call = request.call_id;
            let sid = backend.placer.place(request, voice_url, events).await?;
            tracing::info!(%call, call_sid = sid, "gather call placed");
            Ok(())
        })
    }
}
