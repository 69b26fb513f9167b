//! The reconciler: ElevenLabs does not retry a post-call webhook it could not deliver, so calls
//! whose report is overdue (past the agent's max duration plus [`ReconcileSettings::overdue`])
//! have their conversation fetched and, once it is final, applied like the webhook would be.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallSummary};
use switchboard_providers::elevenlabs::ConversationStatus;
use tokio::task::JoinHandle;

use super::{CONVERSATION_REF, ElevenLabsBackend, apply_conversation};
use crate::dispatcher::blocking;
use crate::{CallReports, EngineError, now};

/// When the reconciler looks, and when a report counts as overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How often open ElevenLabs calls are checked.
    pub every: Duration,
    /// How long past the agent's max duration the webhook may take before the conversation is
    /// fetched instead.
    pub overdue: Duration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self { every: Duration::from_secs(30), overdue: Duration::from_secs(120) }
    }
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

    /// One pass: applies every overdue call's conversation that ElevenLabs reports final.
    /// Returns how many calls were applied.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        let mut applied = 0;
        for (call, conversation_id) in self.overdue_calls().await? {
            let conversation = match self.client.get_conversation(&conversation_id).await {
                Ok(conversation) => conversation,
                Err(error) => {
                    tracing::warn!(call = %call.id, %error, "an overdue ElevenLabs conversation could not be fetched");
                    continue;
                }
            };
            if !matches!(conversation.status, ConversationStatus::Done | ConversationStatus::Failed) {
                continue;
            }
            let record = serde_json::to_string(&conversation)
                .map_err(|error| EngineError::InvalidRequest(format!("the conversation cannot be kept: {error}")))?;
            tracing::info!(call = %call.id, conversation = conversation_id, "applying an overdue conversation");
            apply_conversation(reports, Some(&self.client), &call, &conversation, record).await?;
            applied += 1;
        }
        Ok(applied)
    }

    /// Open ElevenLabs calls past their max duration plus the allowance, with their conversation.
    async fn overdue_calls(&self) -> Result<Vec<(CallSummary, String)>, EngineError> {
        let store = Arc::clone(&self.store);
        let overdue = i64::try_from(self.reconcile.overdue.as_millis()).unwrap_or(i64::MAX);
        let clock = now();
        blocking(move || {
            let mut due = Vec::new();
            for id in store.open_calls()? {
                let Some(call) = store.call(id)? else { continue };
                if call.backend != BackendKind::ElevenLabs {
                    continue;
                }
                let Some(agent) = store.agent(call.agent_id)? else { continue };
                let max = i64::from(agent.config.max_duration_secs) * 1000;
                if clock.0 < call.created_at.0.saturating_add(max).saturating_add(overdue) {
                    continue;
                }
                if let Some(conversation) = store.provider_facts(id)?.refs.remove(CONVERSATION_REF) {
                    due.push((call, conversation));
                }
            }
            Ok::<_, EngineError>(due)
        })
        .await
    }
}
