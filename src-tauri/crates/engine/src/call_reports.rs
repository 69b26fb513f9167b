//! Where reports about a call that arrive out of band (a provider's webhook, a reconciler's
//! fetch) are applied. They become [`BackendEvent`]s and go to the call's task when it still
//! listens ([`LiveCalls`]), exactly as a backend's own events do; when no task listens (it
//! closed the call, or the app restarted) a call task is built for the report and applies it
//! with the same code. Either way one code path, `CallTask`, applies every backend event.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallId, CallState, CallSummary};
use switchboard_store::Store;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendError;

use crate::blocking;
use crate::call_task::{CallTask, apply_state};
use crate::costs::stored_pricing;
use crate::history::Recordings;
use crate::live_calls::LiveCalls;
use crate::{BackendEvent, ENDED_BY_DISPATCHER, EngineError, EventBus, StoreWrites};

/// What applying a report needs: the store and bus, the live calls' channels, and where
/// recordings go.
#[derive(Clone)]
pub struct CallReports {
    store: Arc<Store>,
    bus: EventBus,
    live: LiveCalls,
    recordings: Option<Recordings>,
}

impl CallReports {
    pub fn new(store: Arc<Store>, bus: EventBus, live: LiveCalls, recordings: Option<Recordings>) -> Self {
        Self { store, bus, live, recordings }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Whether a task of this process listens for `call`'s reports (it is being placed or runs).
    pub fn listening(&self, call: CallId) -> bool {
        self.live.sender(call).is_some()
    }

    /// Applies `events` to `call`: through its live task, or here when none listens. A report
    /// that ends the call takes the task's channel, so a second final report (the webhook and
    /// the reconciler at once) is applied here, where its lines are recognised as stored. A call
    /// the dispatcher is hanging up ends as the dispatcher ended it, whatever the report says.
    pub async fn deliver(&self, call: &CallSummary, events: Vec<BackendEvent>) -> Result<(), EngineError> {
        let ends = events.iter().any(|event| matches!(event, BackendEvent::Ended { .. }));
        let events = if ends && self.live.is_ending(call.id) { ended_by_dispatcher(events) } else { events };
        let sender = if ends { self.live.take(call.id) } else { self.live.sender(call.id) };
        let mut events = events.into_iter();
        if let Some(sender) = sender {
            while let Some(event) = events.next() {
                if let Err(SendError(event)) = sender.send(event).await {
                    // The task ended meanwhile: the rest is applied here.
                    return self.apply_here(call, std::iter::once(event).chain(events).collect()).await;
                }
            }
            if ends {
                // The task closes once it has committed the end; a report after this one is
                // applied here (the channel is taken), so it must not overtake that end.
                sender.closed().await;
            }
            return Ok(());
        }
        self.apply_here(call, events.collect()).await
    }

    /// Makes sure a call still in progress has a task listening: after a restart, a backend that
    /// holds the conversation itself (speech-gather) starts one here, its lines numbered after
    /// those stored, closing the call as lost after `deadline` of silence like any call task.
    /// Returns how many lines were stored when a task was started (events the old task had not
    /// applied yet died with it: the backend sends them again), `None` when one was listening.
    pub async fn listen_again(&self, call: &CallSummary, deadline: Duration) -> Result<Option<u32>, EngineError> {
        if call.state.is_terminal() || self.live.sender(call.id).is_some() {
            return Ok(None);
        }
        let (store, held) = (Arc::clone(&self.store), call.clone());
        let (lines, pricing) =
            blocking(move || Ok::<_, EngineError>((store.transcript(held.id)?, stored_pricing(&store, &held)?)))
                .await?;
        let stored = lines.last().map_or(0, |line| line.seq + 1);
        let task = CallTask::new(Arc::clone(&self.store), self.bus.clone(), call, None, self.recordings.clone())
            .continuing(stored)
            .priced(pricing);
        let (sender, receiver) = mpsc::channel(64);
        self.live.insert(call.id, sender);
        tokio::spawn(task.run(receiver, deadline));
        tracing::info!(call = %call.id, "call task started again for a call picked up after a restart");
        Ok(Some(stored))
    }

    /// Applies a state a provider reported: live states and ends as backend events, the
    /// states before ringing directly (no backend event names them).
    pub async fn deliver_state(
        &self,
        call: &CallSummary,
        state: CallState,
        reason: Option<String>,
    ) -> Result<(), EngineError> {
        let event = match state {
            CallState::Queued | CallState::Dialing => {
                let writes = StoreWrites::new(Arc::clone(&self.store), self.bus.clone());
                return apply_state(&writes, &self.bus, call.id, state, reason).await;
            }
            CallState::Ringing => BackendEvent::Ringing,
            CallState::InProgress => BackendEvent::Answered,
            terminal => BackendEvent::Ended {
                state: terminal,
                reason: reason.unwrap_or_else(|| format!("the provider reported the call {}", terminal.as_str())),
            },
        };
        self.deliver(call, vec![event]).await
    }

    async fn apply_here(&self, call: &CallSummary, events: Vec<BackendEvent>) -> Result<(), EngineError> {
        let (store, held) = (Arc::clone(&self.store), call.clone());
        let (current, pricing) = blocking(move || {
            let current = store.call(held.id)?.unwrap_or(held);
            let pricing = stored_pricing(&store, &current)?;
            Ok::<_, EngineError>((current, pricing))
        })
        .await?;
        let task = CallTask::new(Arc::clone(&self.store), self.bus.clone(), &current, None, self.recordings.clone())
            .priced(pricing);
        task.apply_report(events, current.state.is_terminal()).await
    }
}

/// `events` with their end made the dispatcher's.
fn ended_by_dispatcher(events: Vec<BackendEvent>) -> Vec<BackendEvent> {
    let dispatchers = || BackendEvent::Ended { state: CallState::Canceled, reason: ENDED_BY_DISPATCHER.to_owned() };
    events
        .into_iter()
        .map(|event| if matches!(event, BackendEvent::Ended { .. }) { dispatchers() } else { event })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use switchboard_core::{AgentId, BackendKind, CallId, CallState, CallSummary, ContactId, UnixMillis};
    use switchboard_store::Store;
    use tokio::sync::mpsc;

    use super::CallReports;
    use crate::{BackendEvent, ENDED_BY_DISPATCHER, EventBus, LiveCalls};

    fn call() -> CallSummary {
        CallSummary {
            id: CallId(1),
            contact_id: ContactId(1),
            contact_name: "Acme Fasteners".into(),
            agent_id: AgentId(1),
            agent_name: "Vendor quote".into(),
            backend: BackendKind::Gather,
            phone: "+13125550143".into(),
            state: CallState::InProgress,
            end_reason: None,
            created_at: UnixMillis(1),
            answered_at: Some(UnixMillis(2)),
            ended_at: None,
            campaign_id: None,
            round: None,
            attempt: None,
        }
    }

    /// Delivers Twilio's `completed` for a call whose task listens; returns the end it got.
    async fn completed_reaches_the_task(ending: Option<bool>) -> BackendEvent {
        let live = LiveCalls::default();
        let (sender, mut task) = mpsc::channel(4);
        live.insert(call().id, sender);
        if let Some(ending) = ending {
            live.set_ending(call().id, true);
            live.set_ending(call().id, ending);
        }
        let reports = CallReports::new(Arc::new(Store::open_in_memory().unwrap()), EventBus::new(4), live, None);
        let completed = BackendEvent::Ended { state: CallState::Completed, reason: "the call ended".into() };
        let delivering = tokio::spawn(async move { reports.deliver(&call(), vec![completed]).await });
        let end = task.recv().await.unwrap();
        drop(task);
        delivering.await.unwrap().unwrap();
        end
    }

    #[tokio::test]
    async fn an_end_is_delivered_once_its_task_has_taken_it_so_no_later_report_overtakes_it() {
        let live = LiveCalls::default();
        let (sender, mut task) = mpsc::channel(4);
        live.insert(call().id, sender);
        let reports = CallReports::new(Arc::new(Store::open_in_memory().unwrap()), EventBus::new(4), live, None);
        let voicemail = BackendEvent::Ended { state: CallState::Voicemail, reason: "a machine answered".into() };
        let mut delivering = tokio::spawn(async move { reports.deliver(&call(), vec![voicemail]).await });
        assert!(matches!(task.recv().await, Some(BackendEvent::Ended { state: CallState::Voicemail, .. })));
        let waited = tokio::time::timeout(Duration::from_millis(200), &mut delivering).await;
        assert!(waited.is_err(), "delivered while the task had not finished the end");
        drop(task);
        delivering.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn an_end_reported_while_the_dispatcher_hangs_up_is_the_dispatchers() {
        let dispatchers = BackendEvent::Ended { state: CallState::Canceled, reason: ENDED_BY_DISPATCHER.into() };
        assert_eq!(completed_reaches_the_task(Some(true)).await, dispatchers);
        let own = BackendEvent::Ended { state: CallState::Completed, reason: "the call ended".into() };
        assert_eq!(completed_reaches_the_task(None).await, own, "no hang-up: the report's own end");
        assert_eq!(completed_reaches_the_task(Some(false)).await, own, "a hang-up that failed changes nothing");
    }
}
