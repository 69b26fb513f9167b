//! The self-hosted pipeline backend: files the call in [`PipelineSessions`] with a fresh token,
//! then has the Twilio dialer place it with `<Connect><Stream>` to the listener's media route
//! (the call id and token as `<Parameter>`s), where the pipeline's session holds the
//! conversation. The session's hang-up, transfer and voicemail requests ([`CallControl`]) are
//! carried out on the Twilio call; a call that ends without its stream (busy, no answer, failed)
//! is taken back from the registry when its call task ends.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use switchboard_core::{BackendKind, CallId, ControlAction};
use switchboard_providers::signature::websocket_url;
use switchboard_providers::twilio::{CallInstructions, Dial, Stream, TwilioClient, TwimlResponse};
use tokio::sync::mpsc;

use super::placing::refused;
use super::twilio::{NO_TWILIO, RecordedBy, TWILIO_MEDIA_PATH, TwilioDialer, leave_message};
use crate::ProviderClients;
use switchboard_engine::{BackendError, BackendEvent, BoxFuture, CallBackend, CallCommand, CallRequest};
use switchboard_voice::{
    CALL_ID_PARAMETER, CallControl, DispatchersEnd, Instruction, PipelineCall, PipelineClients, PipelineSessions,
    TOKEN_PARAMETER,
};

const BACKEND: &str = "Pipeline";

/// Calls whose conversation the engine runs itself over Twilio's media stream.
#[derive(Clone)]
pub struct PipelineBackend {
    inner: Arc<Inner>,
}

struct Inner {
    sessions: PipelineSessions,
    clients: ProviderClients,
    dialer: TwilioDialer,
    /// Calls the dispatcher is ending: Twilio is asked to hang them up once, by the dispatcher's
    /// request, not again when their session ends as their stream closes.
    ended_by_dispatcher: Mutex<HashSet<CallId>>,
}

impl Inner {
    fn ended_by_dispatcher(&self) -> std::sync::MutexGuard<'_, HashSet<CallId>> {
        self.ended_by_dispatcher.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PipelineBackend {
    /// Pipeline calls talking through `clients` for good (see [`PipelineBackend::with_clients`]).
    pub fn new(sessions: PipelineSessions, clients: PipelineClients, dialer: TwilioDialer) -> Self {
        let fixed = ProviderClients::holding(|set| set.pipeline = Some(clients));
        Self::with_clients(sessions, fixed, dialer)
    }

    /// Pipeline calls each talking through the pipeline clients `clients` holds when it is
    /// placed (a running call keeps its own), placed with `dialer`; `sessions` is the registry
    /// the listener's media route claims them from.
    pub fn with_clients(sessions: PipelineSessions, clients: ProviderClients, dialer: TwilioDialer) -> Self {
        Self { inner: Arc::new(Inner { sessions, clients, dialer, ended_by_dispatcher: Mutex::default() }) }
    }
}

impl CallBackend for PipelineBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Pipeline
    }

    fn configured(&self) -> bool {
        self.inner.clients.current().pipeline.is_some() && self.inner.dialer.configured()
    }

    /// A call whose stream never came and whose Twilio callbacks were all lost is ended by the
    /// dialer's reconciler as they would have ended it; the call task waits for it.
    fn report_delay(&self) -> Duration {
        self.inner.dialer.report_delay()
    }

    /// Hangs up the Twilio call whose media stream the session holds; the stream closing ends
    /// the session, whose own end then changes nothing and whose own hang-up is not sent.
    fn hang_up(&self, call: CallId) -> BoxFuture<'static, Result<(), BackendError>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            inner.ended_by_dispatcher().insert(call);
            inner.sessions.set_dispatchers_end(call, Some(DispatchersEnd::HangUp));
            let hung_up = inner.dialer.hang_up(BACKEND, call).await;
            if hung_up.is_err() {
                // Still up: the session's own hang-up is needed after all.
                inner.sessions.set_dispatchers_end(call, None);
                inner.ended_by_dispatcher().remove(&call);
            }
            hung_up
        })
    }

    /// Every action: the Twilio call is hung up or handed over, the session takes notes and lines.
    fn can(&self, action: ControlAction) -> Result<(), String> {
        match action {
            ControlAction::End | ControlAction::TakeOver if !self.inner.dialer.configured() => {
                Err(NO_TWILIO.to_owned())
            }
            _ => Ok(()),
        }
    }

    fn control(&self, call: CallId, command: CallCommand) -> BoxFuture<'static, Result<(), BackendError>> {
        let inner = Arc::clone(&self.inner);
        match command {
            CallCommand::End => self.hang_up(call),
            CallCommand::TakeOver { to } => Box::pin(async move {
                // The session's own hang-up, as its stream closes, must not cut the handed-over call.
                inner.ended_by_dispatcher().insert(call);
                inner.sessions.set_dispatchers_end(call, Some(DispatchersEnd::TakeOver));
                let handed = inner.dialer.take_over(BACKEND, call, &to).await;
                if handed.is_err() {
                    inner.sessions.set_dispatchers_end(call, None);
                    inner.ended_by_dispatcher().remove(&call);
                }
                handed
            }),
            CallCommand::Steer { note } => instruct(&inner, call, Instruction::Steer(note)),
            CallCommand::Say { line } => instruct(&inner, call, Instruction::Say(line)),
        }
    }

    fn start(
        &self,
        request: CallRequest,
        events: mpsc::Sender<BackendEvent>,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            let call_id = request.call_id;
            let clients = inner.clients.current().pipeline.clone().ok_or_else(|| {
                refused(BACKEND, "the pipeline's Deepgram, Anthropic and ElevenLabs keys are not all set")
            })?;
            let calling = inner.dialer.calling(BACKEND)?;
            let (control, control_requests) = mpsc::channel(4);
            let call = PipelineCall::new(&request, clients, events.clone(), control);
            let token = inner
                .sessions
                .expect(call)
                .map_err(|error| refused(BACKEND, &format!("no token could be drawn for the call: {error}")))?;
            let stream = Stream::new(websocket_url(&calling.public_url(TWILIO_MEDIA_PATH)))
                .parameter(CALL_ID_PARAMETER, call_id.to_string())
                .parameter(TOKEN_PARAMETER, token);
            let placed = match TwimlResponse::new().connect_stream(stream).render() {
                Ok(twiml) => {
                    inner
                        .dialer
                        .dial(
                            &calling,
                            &request,
                            CallInstructions::Twiml(twiml),
                            RecordedBy::Engine,
                            events.clone(),
                            BACKEND,
                            Vec::new(),
                        )
                        .await
                }
                Err(error) => Err(refused(BACKEND, &format!("the media stream's TwiML could not be written: {error}"))),
            };
            let sid = match placed {
                Ok(sid) => sid,
                Err(error) => {
                    inner.sessions.cancel(call_id);
                    return Err(error);
                }
            };
            // Steered with the Twilio client it was placed with, whatever is saved meanwhile.
            let client = calling.client().clone();
            tokio::spawn(carry_out(inner, client, call_id, sid, control_requests, events));
            Ok(())
        })
    }
}

/// Passes the dispatcher's `instruction` to the call's running session.
fn instruct(inner: &Inner, call: CallId, instruction: Instruction) -> BoxFuture<'static, Result<(), BackendError>> {
    let passed = inner.sessions.instruct(call, instruction).map_err(|why| refused(BACKEND, why));
    Box::pin(async move { passed })
}

/// Carries out what the call's session asks until it lets go of the call; takes the call back
/// from the registry if its task ends first (it was never answered).
async fn carry_out(
    inner: Arc<Inner>,
    client: TwilioClient,
    call_id: CallId,
    sid: String,
    mut requests: mpsc::Receiver<CallControl>,
    events: mpsc::Sender<BackendEvent>,
) {
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(CallControl::HangUp) if inner.ended_by_dispatcher().contains(&call_id) => {}
                Some(request) => control(&client, call_id, &sid, request).await,
                None => break,
            },
            () = events.closed() => {
                inner.sessions.cancel(call_id);
                break;
            }
        }
    }
    inner.ended_by_dispatcher().remove(&call_id);
}

async fn control(client: &TwilioClient, call_id: CallId, sid: &str, request: CallControl) {
    let done = match &request {
        CallControl::HangUp => client.hang_up(sid).await.map(drop).map_err(|error| error.to_string()),
        CallControl::Transfer { to } => match TwimlResponse::new().dial(Dial::number(to.clone())).render() {
            Ok(twiml) => client.redirect(sid, &twiml).await.map(drop).map_err(|error| error.to_string()),
            Err(error) => Err(format!("the transfer number does not fit in TwiML: {error}")),
        },
        CallControl::LeaveVoicemail { message } => leave_message(client, sid, message.clone()).await,
    };
    if let Err(error) = done {
        tracing::warn!(call = %call_id, ?request, %error, "Twilio did not carry out the pipeline's request");
    }
}
