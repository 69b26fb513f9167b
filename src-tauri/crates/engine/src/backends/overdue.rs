//! The overdue-call loop the hosted backends share: every [`ReconcileSettings::every`], the
//! backend's open calls past their agent's max duration plus [`ReconcileSettings::overdue`]
//! are handed to the backend to fetch from its provider; calls its provider never finishes
//! within [`ReconcileSettings::give_up`] are closed as lost.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallState, CallSummary};
use switchboard_store::Store;
use tokio::task::JoinHandle;

use crate::dispatcher::blocking;
use crate::{BackendEvent, BoxFuture, CallReports, EngineError, now};

/// When the reconciler looks, and when a report counts as overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How often open calls are checked.
    pub every: Duration,
    /// How long past the agent's max duration the webhook may take before the provider's
    /// record is fetched instead.
    pub overdue: Duration,
    /// How long past the agent's max duration a provider's call may stay unfinished before
    /// the call is closed as lost.
    pub give_up: Duration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self { every: Duration::from_secs(30), overdue: Duration::from_secs(120), give_up: Duration::from_secs(600) }
    }
}

/// An open call whose report is overdue.
pub(crate) struct Overdue {
    pub(crate) call: CallSummary,
    /// The provider's id for it (the provider ref named by the backend), `None` when the app
    /// stopped before recording it.
    pub(crate) provider_id: Option<String>,
    /// Past [`ReconcileSettings::give_up`] too.
    pub(crate) hopeless: bool,
}

/// Runs `pass` every `settings.every`; a failed pass is logged under `backend`'s name.
pub(crate) fn spawn_reconciler(
    backend: &'static str,
    every: Duration,
    pass: impl Fn() -> BoxFuture<'static, Result<usize, EngineError>> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(error) = pass().await {
                tracing::warn!(backend, %error, "reconciliation stopped short; it runs again shortly");
            }
        }
    })
}

/// Open calls of `backend` past their max duration plus the allowance, with the provider id
/// kept under `provider_ref`.
pub(crate) async fn overdue_calls(
    store: &Arc<Store>,
    backend: BackendKind,
    provider_ref: &'static str,
    settings: ReconcileSettings,
) -> Result<Vec<Overdue>, EngineError> {
    let store = Arc::clone(store);
    let millis = |duration: Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    let (overdue, give_up) = (millis(settings.overdue), millis(settings.give_up));
    let clock = now();
    blocking(move || {
        let mut due = Vec::new();
        for id in store.open_calls()? {
            let Some(call) = store.call(id)? else { continue };
            if call.backend != backend {
                continue;
            }
            let Some(agent) = store.agent(call.agent_id)? else { continue };
            let ends = call.created_at.0.saturating_add(i64::from(agent.config.max_duration_secs) * 1000);
            if clock.0 < ends.saturating_add(overdue) {
                continue;
            }
            let provider_id = store.provider_facts(id)?.refs.remove(provider_ref);
            let hopeless = clock.0 >= ends.saturating_add(give_up);
            due.push(Overdue { call, provider_id, hopeless });
        }
        Ok::<_, EngineError>(due)
    })
    .await
}

/// Ends `call` as lost, through its task when one listens.
pub(crate) async fn lose(reports: &CallReports, call: &CallSummary, reason: &str) -> Result<(), EngineError> {
    tracing::warn!(call = %call.id, reason, "closing a call as lost");
    reports.deliver(call, vec![BackendEvent::Ended { state: CallState::Lost, reason: reason.to_owned() }]).await
}
