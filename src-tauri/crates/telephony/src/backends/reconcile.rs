//! The one reconcile pass every reconciler runs (the hosted backends' and the Twilio dialer's):
//! a provider's final webhook can be lost, so calls whose report is overdue (past the agent's max
//! duration plus [`ReconcileSettings::overdue`]) are fetched from the provider ([`Reconciler`])
//! and, once it reports them finished, applied like the webhook would be. A call the provider
//! does not know, never finishes within [`ReconcileSettings::give_up`] (a provider that can be
//! told to end it then is, once it is closed), or whose provider id was never recorded (the app
//! stopped while placing it: no task of this process listens for it) is closed as lost.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallId, CallState, CallSummary};
use switchboard_providers::ProviderError;
use switchboard_store::Store;
use tokio::task::JoinHandle;

use super::report::FinishedCall;
use switchboard_engine::blocking;
use switchboard_engine::{BackendEvent, BoxFuture, CallReports, EngineError, now};

/// How often, and how many times, [`stored_closed`] looks.
const CLOSED_CHECK_EVERY: Duration = Duration::from_millis(20);
const CLOSED_CHECKS: u32 = 250;

/// When a reconciler looks, and when a report counts as overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How often open calls are checked.
    pub every: Duration,
    /// How long past the agent's max duration the webhook may take before the call is fetched
    /// instead.
    pub overdue: Duration,
    /// How long past the agent's max duration a call may stay unfinished at the provider before
    /// it is closed as lost.
    pub give_up: Duration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self { every: Duration::from_secs(30), overdue: Duration::from_secs(120), give_up: Duration::from_secs(600) }
    }
}

/// Which calls a reconciler looks after, and how it words their loss.
pub(crate) struct Reconciled {
    /// The provider's name, in the log.
    pub(crate) provider: &'static str,
    pub(crate) kinds: &'static [BackendKind],
    /// The provider ref holding the provider's id of the call.
    pub(crate) id_ref: &'static str,
    /// Why a call whose provider id was never recorded is lost.
    pub(crate) no_id: &'static str,
    /// Why a call the provider never finishes is lost.
    pub(crate) never_ended: &'static str,
}

/// An overdue call, for the provider to be asked about.
pub(crate) struct Due {
    pub(crate) call: CallSummary,
    /// The provider's id of the call.
    pub(crate) provider_id: String,
    /// Past [`ReconcileSettings::give_up`] too: a call still running is given up on.
    pub(crate) hopeless: bool,
}

/// What the provider said about an overdue call.
pub(crate) enum Fetched {
    Finished(FinishedCall),
    /// Not over yet.
    Running,
    /// The call is lost (the provider does not know it, for one): why.
    Lost(String),
    /// Still running at the provider past give-up: closed as lost with the reason, then `stop`
    /// ends it at the provider (so it stops costing money).
    Stuck {
        reason: String,
        stop: BoxFuture<'static, ()>,
    },
    /// The provider could not be asked; the next pass tries again.
    Unreachable(ProviderError),
}

/// A provider's call as fetched, or what the reconciler makes of a failed fetch: a call the
/// provider does not know (404) is lost, `lost` saying why; any other error leaves it for the
/// next pass.
pub(crate) fn known<T>(fetched: Result<T, ProviderError>, lost: impl FnOnce() -> String) -> Result<T, Fetched> {
    fetched
        .map_err(|error| if error.status() == Some(404) { Fetched::Lost(lost()) } else { Fetched::Unreachable(error) })
}

/// What a reconciler asks a provider: which calls it looks after, and what the provider says
/// about each overdue one. [`reconcile`] and [`spawn_reconciler`] run the one pass every
/// reconciler shares.
pub(crate) trait Reconciler: Clone + Send + Sync + 'static {
    /// What one pass asks with (the provider's client, say).
    type Asking: Send + Sync;

    /// Which calls, and how their loss is worded.
    const RECONCILED: Reconciled;

    fn settings(&self) -> &ReconcileSettings;

    /// What to ask with now; `None` when nothing can be asked (no key is set), so the calls wait
    /// for one (or for the restart that closes them).
    fn asking(&self) -> Option<Self::Asking>;

    /// What the provider says about `due`.
    fn fetch(&self, asking: &Self::Asking, due: Due) -> impl Future<Output = Result<Fetched, EngineError>> + Send;
}

/// Runs [`reconcile`] with `reconciler` every [`ReconcileSettings::every`]; a failed pass is
/// logged.
pub(crate) fn spawn_reconciler<R: Reconciler>(reconciler: &R, reports: CallReports) -> JoinHandle<()> {
    let reconciler = reconciler.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(reconciler.settings().every).await;
            if let Err(error) = reconcile(&reconciler, &reports).await {
                let provider = R::RECONCILED.provider;
                tracing::warn!(%error, provider, "reconciliation stopped short; it runs again shortly");
            }
        }
    })
}

/// One pass over the overdue calls `reconciler` looks after: each is fetched and applied when
/// finished, or closed as lost. Returns how many calls were ended.
pub(crate) async fn reconcile<R: Reconciler>(reconciler: &R, reports: &CallReports) -> Result<usize, EngineError> {
    let Some(asking) = reconciler.asking() else {
        return Ok(0);
    };
    let which = &R::RECONCILED;
    let mut ended = 0;
    for Overdue { call, provider_id, hopeless } in overdue_calls(reports.store(), reconciler.settings(), which).await? {
        let Some(provider_id) = provider_id else {
            if reports.listening(call.id) {
                // Still being placed here (the provider is slow to answer): not lost.
                continue;
            }
            lose(reports, &call, which.no_id).await?;
            ended += 1;
            continue;
        };
        let due = Due { call: call.clone(), provider_id: provider_id.clone(), hopeless };
        match reconciler.fetch(&asking, due).await? {
            Fetched::Finished(finished) => {
                tracing::info!(call = %call.id, provider_id, "applying an overdue report");
                finished.deliver(reports, &call).await?;
            }
            Fetched::Lost(reason) => lose(reports, &call, &reason).await?,
            Fetched::Stuck { reason, stop } => {
                lose(reports, &call, &reason).await?;
                // Stopped once closed, so what the provider reports about stopping it changes
                // nothing.
                stored_closed(reports.store(), call.id).await?;
                stop.await;
            }
            Fetched::Running if hopeless => lose(reports, &call, which.never_ended).await?,
            Fetched::Running => continue,
            Fetched::Unreachable(error) => {
                tracing::warn!(call = %call.id, %error, "an overdue call could not be fetched");
                continue;
            }
        }
        ended += 1;
    }
    Ok(ended)
}

/// An open call whose report is overdue.
struct Overdue {
    call: CallSummary,
    /// `None` when the app stopped before recording it.
    provider_id: Option<String>,
    /// Past [`ReconcileSettings::give_up`] too.
    hopeless: bool,
}

/// Open calls of `which` past their max duration plus the allowance.
async fn overdue_calls(
    store: &Arc<Store>,
    settings: &ReconcileSettings,
    which: &Reconciled,
) -> Result<Vec<Overdue>, EngineError> {
    let store = Arc::clone(store);
    let millis = |duration: Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    let (overdue, give_up) = (millis(settings.overdue), millis(settings.give_up));
    let (kinds, id_ref) = (which.kinds, which.id_ref);
    let clock = now();
    blocking(move || {
        let mut due = Vec::new();
        for id in store.open_calls()? {
            let Some(call) = store.call(id)? else { continue };
            if !kinds.contains(&call.backend) {
                continue;
            }
            let Some(agent) = store.agent(call.agent_id)? else { continue };
            let ends = call.created_at.0.saturating_add(i64::from(agent.config.max_duration_secs) * 1000);
            if clock.0 < ends.saturating_add(overdue) {
                continue;
            }
            let provider_id = store.provider_facts(id)?.refs.remove(id_ref);
            let hopeless = clock.0 >= ends.saturating_add(give_up);
            due.push(Overdue { call, provider_id, hopeless });
        }
        Ok::<_, EngineError>(due)
    })
    .await
}

/// Waits (a few seconds at most) for the store to have `call` closed: its task applies what it
/// was sent in its own time.
async fn stored_closed(store: &Arc<Store>, call: CallId) -> Result<(), EngineError> {
    for _ in 0..CLOSED_CHECKS {
        let store = Arc::clone(store);
        if blocking(move || store.call(call)).await?.is_none_or(|call| call.state.is_terminal()) {
            return Ok(());
        }
        tokio::time::sleep(CLOSED_CHECK_EVERY).await;
    }
    tracing::warn!(%call, "the call was not closed in time; it is stopped at the provider anyway");
    Ok(())
}

/// Ends `call` as lost, through its task when one listens.
async fn lose(reports: &CallReports, call: &CallSummary, reason: &str) -> Result<(), EngineError> {
    tracing::warn!(call = %call.id, backend = call.backend.as_str(), reason, "closing a call as lost");
    reports.deliver(call, vec![BackendEvent::Ended { state: CallState::Lost, reason: reason.to_owned() }]).await
}
