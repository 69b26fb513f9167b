//! The ElevenLabs reconciler: ElevenLabs does not retry a post-call webhook it could not
//! deliver, so overdue calls have their conversation fetched and applied once it is final (see
//! [the shared reconciler](crate::backends::reconcile) for when, and when a call is lost).

use switchboard_core::BackendKind;
use switchboard_providers::elevenlabs::ConversationStatus;
use tokio::task::JoinHandle;

use super::{CONVERSATION_REF, ElevenLabsBackend, finished_call};
use crate::backends::reconcile::{Due, Fetched, Reconciled, reconcile_pass, spawn_every};
use switchboard_engine::{CallReports, EngineError};

const RECONCILED: Reconciled = Reconciled {
    kinds: &[BackendKind::ElevenLabs],
    id_ref: CONVERSATION_REF,
    no_id: "the app stopped before ElevenLabs' conversation id was recorded",
    never_ended: "ElevenLabs never reported the end of the conversation",
};

impl ElevenLabsBackend {
    /// Checks open ElevenLabs calls every [`ReconcileSettings::every`](crate::backends::ReconcileSettings).
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        let backend = self.clone();
        spawn_every(self.placing.reconcile.every, "ElevenLabs", move || {
            let (backend, reports) = (backend.clone(), reports.clone());
            async move { backend.reconcile(&reports).await }
        })
    }

    /// One pass: applies every overdue call's conversation that ElevenLabs reports final, and
    /// closes the calls it never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        // Without a key nothing can be asked; the calls wait for one (or for the restart that
        // closes them).
        let Some(client) = self.client() else {
            return Ok(0);
        };
        let client = &client;
        reconcile_pass(
            reports,
            &self.placing.reconcile,
            &RECONCILED,
            |Due { provider_id: conversation_id, .. }| async move {
                let conversation = match client.get_conversation(&conversation_id).await {
                    Ok(conversation) => conversation,
                    Err(error) if error.status() == Some(404) => {
                        return Ok(Fetched::Lost(format!("ElevenLabs has no conversation {conversation_id}")));
                    }
                    Err(error) => return Ok(Fetched::Unreachable(error)),
                };
                if !matches!(conversation.status, ConversationStatus::Done | ConversationStatus::Failed) {
                    return Ok(Fetched::Running);
                }
                let record = serde_json::to_string(&conversation).map_err(|error| {
                    EngineError::InvalidRequest(format!("the conversation cannot be kept: {error}"))
                })?;
                Ok(Fetched::Finished(finished_call(Some(client), &conversation, record).await))
            },
        )
        .await
    }
}
