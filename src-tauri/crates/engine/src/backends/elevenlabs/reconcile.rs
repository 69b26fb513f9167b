//! The reconciler: ElevenLabs does not retry a post-call webhook it could not deliver, so calls
//! whose report is overdue (past the agent's max duration plus [`ReconcileSettings::overdue`](super::ReconcileSettings::overdue))
//! have their conversation fetched and, once it is final, applied like the webhook would be. A
//! call ElevenLabs does not know, or never finishes within [`ReconcileSettings::give_up`](super::ReconcileSettings::give_up), or
//! whose conversation id was never recorded (the app stopped while placing it) is closed as lost.

use switchboard_core::BackendKind;
use switchboard_providers::elevenlabs::ConversationStatus;
use tokio::task::JoinHandle;

use super::{CONVERSATION_REF, ElevenLabsBackend, apply_conversation};
use crate::backends::overdue::{Overdue, lose, overdue_calls, spawn_reconciler};
use crate::{CallReports, EngineError};

impl ElevenLabsBackend {
    /// Checks open ElevenLabs calls every [`ReconcileSettings::every`](super::ReconcileSettings);
    /// a failed pass is logged.
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        let backend = self.clone();
        spawn_reconciler("ElevenLabs", self.reconcile.every, move || {
            let (backend, reports) = (backend.clone(), reports.clone());
            Box::pin(async move { backend.reconcile(&reports).await })
        })
    }

    /// One pass: applies every overdue call's conversation that ElevenLabs reports final, and
    /// closes the calls it never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        let mut ended = 0;
        let due = overdue_calls(&self.store, BackendKind::ElevenLabs, CONVERSATION_REF, self.reconcile).await?;
        for Overdue { call, provider_id: conversation_id, hopeless } in due {
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
}
