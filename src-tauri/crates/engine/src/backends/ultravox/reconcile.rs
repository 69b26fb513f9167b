//! The reconciler for Ultravox calls whose end is overdue (a dropped webhook, or the app was
//! down): each one's Ultravox call is fetched and applied once it has ended. A call Ultravox
//! does not know, or never ends within the give-up allowance, or whose Ultravox id was never
//! recorded (the app stopped while placing it) is closed as lost.

use switchboard_core::BackendKind;
use tokio::task::JoinHandle;

use super::{ULTRAVOX_CALL_REF, UltravoxBackend};
use crate::backends::overdue::{Overdue, lose, overdue_calls, spawn_reconciler};
use crate::{CallReports, EngineError};

impl UltravoxBackend {
    /// Checks open Ultravox calls every reconcile period; a failed pass is logged.
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        let backend = self.clone();
        spawn_reconciler("Ultravox", self.reconcile.every, move || {
            let (backend, reports) = (backend.clone(), reports.clone());
            Box::pin(async move { backend.reconcile(&reports).await })
        })
    }

    /// One pass: applies every overdue call Ultravox reports ended and closes the calls it
    /// never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        let mut ended = 0;
        let due = overdue_calls(&self.store, BackendKind::Ultravox, ULTRAVOX_CALL_REF, self.reconcile).await?;
        for Overdue { call, provider_id, hopeless } in due {
            let Some(ultravox_id) = provider_id else {
                lose(reports, &call, "the app stopped before the Ultravox call id was recorded").await?;
                ended += 1;
                continue;
            };
            match self.client.get_call(&ultravox_id).await {
                Ok(ultravox) if ultravox.ended.is_some() => {
                    tracing::info!(call = %call.id, ultravox = ultravox_id, "applying an overdue Ultravox call");
                    self.apply_call(reports, &call, &ultravox).await?;
                    ended += 1;
                }
                Ok(_) if hopeless => {
                    lose(reports, &call, "Ultravox never reported the end of the call").await?;
                    ended += 1;
                }
                Ok(_) => {}
                Err(error) if error.status() == Some(404) => {
                    lose(reports, &call, &format!("Ultravox has no call {ultravox_id}")).await?;
                    ended += 1;
                }
                Err(error) => {
                    tracing::warn!(call = %call.id, %error, "an overdue Ultravox call could not be fetched");
                }
            }
        }
        Ok(ended)
    }
}
