//! The dispatcher's hand on calls on the line: end, take over, steer, say. Each action is kept
//! with the call before it is tried and finished with its outcome (the provider's refusal in its
//! words), published both times. Another process (the command line) asks by writing a `pending`
//! action; the process running the calls takes it up within a moment and carries it out alike.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{ActionStatus, CallAction, CallId, ControlAction, ControlOffer, check_control_text};
use tokio::task::JoinHandle;

use crate::blocking::blocking;
use crate::settings::dispatcher_phone;
use crate::{CallCommand, Engine, EngineError, EngineEvent, now};

/// How often the process running calls looks for actions another process asked for.
const PENDING_EVERY: Duration = Duration::from_millis(200);

/// Why a take-over is refused while the dispatcher's phone is not set.
pub const NO_DISPATCHER_PHONE: &str =
    "set your own phone number in Settings first: a taken-over call is connected to it";

impl Engine {
    /// What the dispatcher can do to `call` now, each action with why not when it cannot.
    pub async fn call_controls(&self, call: CallId) -> Result<Vec<ControlOffer>, EngineError> {
        self.call_controls_for(call, None).await
    }

    /// `call_controls` for a dispatcher whose own phone is `own_phone` (a team account's); with
    /// none, Settings' dispatcher phone.
    pub async fn call_controls_for(
        &self,
        call: CallId,
        own_phone: Option<String>,
    ) -> Result<Vec<ControlOffer>, EngineError> {
        let store = Arc::clone(self.store());
        let (summary, phone) = blocking(move || {
            let phone = match own_phone {
                Some(phone) => Some(phone),
                None => dispatcher_phone(&store)?,
            };
            Ok::<_, EngineError>((store.call(call)?, phone))
        })
        .await?;
        let summary = summary.ok_or_else(|| EngineError::InvalidRequest(format!("no call {call}")))?;
        let backend = self.backend(summary.backend);
        Ok(ControlAction::ALL
            .into_iter()
            .map(|action| {
                let unavailable = if summary.state.is_terminal() {
                    Some("the call is over".to_owned())
                } else {
                    // What the backend cannot do is said first; then what Settings lacks.
                    let cannot = match &backend {
                        Some(backend) => backend.can(action).err(),
                        None => Some(format!("{} does not run in this process", summary.backend.label())),
                    };
                    cannot.or_else(|| {
                        (action == ControlAction::TakeOver && phone.is_none()).then(|| NO_DISPATCHER_PHONE.to_owned())
                    })
                };
                ControlOffer { action, unavailable }
            })
            .collect())
    }

    /// Does `action` to `call` for the dispatcher: `text` is the note or the line (a take-over
    /// goes to the dispatcher's phone from Settings, kept as its text). Bad text is refused before anything is
    /// kept; otherwise the action is kept, tried, and returned finished (done, or refused with
    /// why).
    pub async fn control_call(
        &self,
        call: CallId,
        action: ControlAction,
        text: &str,
    ) -> Result<CallAction, EngineError> {
        self.control_call_for(call, action, text, None).await
    }

    /// `control_call` for a dispatcher whose own phone is `own_phone` (a team account's): a
    /// take-over rings it; with none, Settings' dispatcher phone.
    pub async fn control_call_for(
        &self,
        call: CallId,
        action: ControlAction,
        text: &str,
        own_phone: Option<String>,
    ) -> Result<CallAction, EngineError> {
        check_control_text(action, text).map_err(EngineError::InvalidRequest)?;
        let store = Arc::clone(self.store());
        let text = text.trim().to_owned();
        let kept = blocking(move || {
            store.call(call)?.ok_or_else(|| EngineError::InvalidRequest(format!("no call {call}")))?;
            let text = match action {
                ControlAction::TakeOver => match own_phone {
                    Some(phone) => phone,
                    None => dispatcher_phone(&store)?
                        .ok_or_else(|| EngineError::InvalidRequest(NO_DISPATCHER_PHONE.to_owned()))?,
                },
                _ => text,
            };
            Ok::<_, EngineError>(store.insert_call_action(call, action, &text, ActionStatus::Running, now())?)
        })
        .await?;
        self.bus().publish(EngineEvent::CallActionUpdated { action: kept.clone() });
        Ok(self.carry_out(kept).await)
    }

    /// Carries out a kept action and records how it went.
    async fn carry_out(&self, action: CallAction) -> CallAction {
        let outcome = self.try_action(&action).await;
        let (status, result) = match &outcome {
            Ok(()) => (ActionStatus::Done, None),
            Err(why) => (ActionStatus::Refused, Some(why.clone())),
        };
        if let Err(why) = &outcome {
            tracing::info!(call = %action.call_id, action = action.action.as_str(), %why, "a dispatcher's action was refused");
        }
        let (store, id) = (Arc::clone(self.store()), action.id);
        let finished = blocking(move || store.finish_call_action(id, status, result.as_deref(), now())).await;
        let finished = match finished {
            Ok(Some(finished)) => finished,
            Ok(None) => action,
            Err(error) => {
                tracing::error!(call = %action.call_id, %error, "could not record how a dispatcher's action went");
                CallAction { status, result: outcome.err(), ..action }
            }
        };
        self.bus().publish(EngineEvent::CallActionUpdated { action: finished.clone() });
        finished
    }

    async fn try_action(&self, action: &CallAction) -> Result<(), String> {
        check_control_text(action.action, &action.text)?;
        let (store, id) = (Arc::clone(self.store()), action.call_id);
        let call = blocking(move || store.call(id)).await.map_err(|error| error.to_string())?;
        let call = call.ok_or_else(|| format!("no call {id}"))?;
        if call.state.is_terminal() {
            return Err(format!("the call is over ({})", call.state.as_str()));
        }
        let backend = self
            .backend(call.backend)
            .ok_or_else(|| format!("{} does not run in this process", call.backend.label()))?;
        backend.can(action.action)?;
        let command = match action.action {
            ControlAction::End => {
                return match self.hang_up(&call).await {
                    Ok(_) => Ok(()),
                    Err(error) => Err(error.to_string()),
                };
            }
            ControlAction::TakeOver if action.text.is_empty() => return Err(NO_DISPATCHER_PHONE.to_owned()),
            other => CallCommand::new(other, &action.text),
        };
        backend.control(call.id, command).await.map_err(|error| error.to_string())
    }

    /// Takes up the actions other processes ask for, until the engine stops.
    pub fn spawn_action_requests(self: &Arc<Self>) -> JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PENDING_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let store = Arc::clone(engine.store());
                match blocking(move || store.take_pending_call_action()).await {
                    Ok(Some(action)) => {
                        engine.bus().publish(EngineEvent::CallActionUpdated { action: action.clone() });
                        let engine = Arc::clone(&engine);
                        tokio::spawn(async move { engine.carry_out(action).await });
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "could not look for the dispatcher's requested actions"),
                }
            }
        })
    }
}
