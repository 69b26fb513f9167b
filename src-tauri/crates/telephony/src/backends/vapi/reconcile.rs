//! The Vapi reconciler: a lost end-of-call report is made up for by fetching the call
//! (`GET /call/{id}`) once it is overdue, applying it when Vapi has ended it (see
//! [the shared reconciler](crate::backends::reconcile) for when, and when a call is lost).

use switchboard_core::BackendKind;
use switchboard_providers::vapi::VapiCallStatus;
use tokio::task::JoinHandle;

use super::{CALL_REF, CallOutcome, VapiBackend, finished_call};
use crate::backends::reconcile::{Due, Fetched, Reconciled, reconcile_pass, spawn_every};
use switchboard_engine::{CallReports, EngineError};

const RECONCILED: Reconciled = Reconciled {
    kinds: &[BackendKind::Vapi],
    id_ref: CALL_REF,
    no_id: "the app stopped before Vapi's call id was recorded",
    never_ended: "Vapi never reported the end of the call",
};

impl VapiBackend {
    /// Checks open Vapi calls every [`ReconcileSettings::every`](crate::backends::ReconcileSettings).
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        let backend = self.clone();
        spawn_every(self.placing.reconcile.every, "Vapi", move || {
            let (backend, reports) = (backend.clone(), reports.clone());
            async move { backend.reconcile(&reports).await }
        })
    }

    /// One pass: applies every overdue call Vapi reports ended, and closes the calls it never
    /// will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        // Without a key nothing can be asked; the calls wait for one (or for the restart that
        // closes them).
        let Some(client) = self.client() else {
            return Ok(0);
        };
        let client = &client;
        reconcile_pass(reports, &self.placing.reconcile, &RECONCILED, |Due { provider_id: call_id, .. }| async move {
            let call = match client.get_call(&call_id).await {
                Ok(call) => call,
                Err(error) if error.status() == Some(404) => {
                    return Ok(Fetched::Lost(format!("Vapi has no call {call_id}")));
                }
                Err(error) => return Ok(Fetched::Unreachable(error)),
            };
            if call.status != VapiCallStatus::Ended {
                return Ok(Fetched::Running);
            }
            let record = serde_json::to_string(&call)
                .map_err(|error| EngineError::InvalidRequest(format!("Vapi's call cannot be kept: {error}")))?;
            Ok(Fetched::Finished(finished_call(Some(client), &CallOutcome::from(&call), record).await))
        })
        .await
    }
}
