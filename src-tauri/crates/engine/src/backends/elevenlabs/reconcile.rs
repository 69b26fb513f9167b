//! The reconciler: ElevenLabs does not retry a post-call webhook it could not deliver, so calls
//! whose report is overdue (past the agent's max duration plus [`ReconcileSettings::overdue`])
//! have their conversation fetched and, once it is final, applied like the webhook would be. A
//! call ElevenLabs does not know, or never finishes within [`ReconcileSettings::give_up`], or
//! whose conversation id was never recorded (the app stopped while placing it) is closed as lost.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallState, CallSummary};
use switchboard_providers::elevenlabs::ConversationStatus;
use tokio::task::JoinHandle;

use super::{CONVERSATION_REF, ElevenLabsBackend, apply_conversation};
use crate::dispatcher::blocking;
use crate::{BackendEvent, CallReports, EngineError, now};

/// When the reconciler looks, and when a report counts as overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How often open ElevenLabs calls are checked.
    pub every: Duration,
    /// How long past the agent's max duration the webhook may take before the conversation is
    /// fetched instead.
    pub overdue: Duration,
    /// How long past the agent's max duration a conversation may stay unfinished before the
    /// call is closed as lost.
    pub give_up: Duration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self { every: Duration::from_secs(30), overdue: Duration::from_secs(120), give_up: Duration::from_secs(600) }
    }
}

/// An open call whose report is overdue.
struct Overdue {
    call: CallSummary,
    /// `None` when the app stopped before recording it.
    conversation_id: Option<String>,
    /// Past [`ReconcileSettings::give_up`] too.
    hopeless: bool,
}

impl ElevenLabsBackend {
    /// Checks open ElevenLabs calls every [`ReconcileSettings::every`]; a failed pass is logged.
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        let backend = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(backend.reconcile.every).await;
                if let Err(error) = backend.reconcile(&reports).await {
                    tracing::warn!(%error, "ElevenLabs reconciliation stopped short; it runs again shortly");
                }
            }
        })
    }

    /// One pass: applies every overdue call's conversation that ElevenLabs reports final, and
    /// closes the calls it never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        let mut ended = 0;
        for Overdue { call, conversation_id, hopeless } in self.overdue_calls().await? {
            let Some(conversation_id) = conversation_id else {
                lose(reports, &call, "the app stopped before ElevenLabs' conversation id was recorded").await?;
                ended += 1;
                continue;
            };
            let conversation = match self.client.get_conversation(&conversation_id).await {
                Ok(conversation) => conversation,
                Err(error) if error.status() == Some(404) => {
                    lose(reports, &call, &format!("ElevenLabs has no conversation {conversation_id}")).await?;
                    ended += 1;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(call = %call.id, %error, "an overdue ElevenLabs conversation could not be fetched");
                    continue;
                }
            };
            if !matches!(conversation.status, ConversationStatus::Done | ConversationStatus::Failed) {
                if hopeless {
                    lose(reports, &call, "ElevenLabs never reported the end of the conversation").await?;
                    ended += 1;
                }
                continue;
            }
            let record = serde_json::to_string(&conversation)
                .map_err(|error| EngineError::InvalidRequest(format!("the conversation cannot be kept: {error}")))?;
            tracing::info!(call = %call.id, conversation = conversation_id, "applying an overdue conversation");
            apply_conversation(reports, Some(&self.client), &call, &conversation, record).await?;
            ended += 1;
        }
        Ok(ended)
    }

    /// Open ElevenLabs calls past their max duration plus the allowance.
    async fn overdue_calls(&self) -> Result<Vec<Overdue>, EngineError> {
        let store = Arc::clone(&self.store);
        let millis = |duration: Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        let (overdue, give_up) = (millis(self.reconcile.overdue), millis(self.reconcile.give_up));
        let clock = now();
        blocking(move || {
            let mut due = Vec::new();
            for id in store.open_calls()? {
                let Some(call) = store.call(id)? else { continue };
                if call.backend != BackendKind::ElevenLabs {
                    continue;
                }
                let Some(agent) = store.agent(call.agent_id)? else { continue };
                let ends = call.created_at.0.saturating_add(i64::from(agent.config.max_duration_secs) * 1000);
                if clock.0 < ends.saturating_add(overdue) {
                    continue;
                }
                let conversation_id = store.provider_facts(id)?.refs.remove(CONVERSATION_REF);
                let hopeless = clock.0 >= ends.saturating_add(give_up);
                due.push(Overdue { call, conversation_id, hopeless });
            }
            Ok::<_, EngineError>(due)
        })
        .await
    }
}

/// Ends `call` as lost, through its task when one listens.
async fn lose(reports: &CallReports, call: &CallSummary, reason: &str) -> Result<(), EngineError> {
    tracing::warn!(call = %call.id, reason, "closing an ElevenLabs call as lost");
    reports.deliver(call, vec![BackendEvent::Ended { state: CallState::Lost, reason: reason.to_owned() }]).await
}
