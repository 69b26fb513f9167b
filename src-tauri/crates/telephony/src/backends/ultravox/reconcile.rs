//! The Ultravox reconciler: an end whose webhook was dropped (or came while the app was down) is
//! made up for by fetching the Ultravox call once it is overdue, applying it when Ultravox has
//! ended it (see [the shared reconciler](crate::backends::reconcile) for when, and when a call is
//! lost).

use switchboard_core::BackendKind;
use tokio::task::JoinHandle;

use super::{ULTRAVOX_CALL_REF, UltravoxBackend};
use crate::backends::reconcile::{Due, Fetched, Reconciled, reconcile_pass, spawn_every};
use switchboard_engine::{CallReports, EngineError};

const RECONCILED: Reconciled = Reconciled {
    kinds: &[BackendKind::Ultravox],
    id_ref: ULTRAVOX_CALL_REF,
    no_id: "the app stopped before the Ultravox call id was recorded",
    never_ended: "Ultravox never reported the end of the call",
};

impl UltravoxBackend {
    /// Checks open Ultravox calls every [`ReconcileSettings::every`](crate::backends::ReconcileSettings).
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        let backend = self.clone();
        spawn_every(self.reconcile.every, "Ultravox", move || {
            let (backend, reports) = (backend.clone(), reports.clone());
            async move { backend.reconcile(&reports).await }
        })
    }

    /// One pass: applies every overdue call Ultravox reports ended and closes the calls it
    /// never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        // Without a key nothing can be asked; the calls wait for one (or for the restart that
        // closes them).
        let Some(client) = self.client() else {
            return Ok(0);
        };
        let client = &client;
        reconcile_pass(reports, &self.reconcile, &RECONCILED, |Due { provider_id: ultravox_id, .. }| async move {
            let ultravox = match client.get_call(&ultravox_id).await {
                Ok(ultravox) => ultravox,
                Err(error) if error.status() == Some(404) => {
                    return Ok(Fetched::Lost(format!("Ultravox has no call {ultravox_id}")));
                }
                Err(error) => return Ok(Fetched::Unreachable(error)),
            };
            if ultravox.ended.is_none() {
                return Ok(Fetched::Running);
            }
            Ok(Fetched::Finished(self.finished_call(&ultravox).await?))
        })
        .await
    }
}
