//! Inbox processing: apply stored webhooks to their calls, in the order they arrived, and mark
//! each row. Applying is idempotent (a call's state only moves forward), so a row applied twice
//! (the app died between applying and marking) changes nothing the second time. A webhook can
//! beat the backend's record of the provider's call id (Twilio reports `initiated` before the
//! create-call answer is back), so a row naming no known call waits, retried every few seconds,
//! until [`ListenerSettings::unknown_call_grace`](super::ListenerSettings) has passed. What a
//! row reports goes to the call's task when it still runs, else to the store (see
//! [`CallReports`](switchboard_engine::CallReports)).
//!
//! The inbox is shared by the nodes of one database: a row about a call another live node runs
//! is left for that node, and a row is claimed before it is applied or parked, so two nodes'
//! processors never both apply one (see `Store::claim_webhook`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallId};
use switchboard_store::WebhookRow;
use tokio::task::JoinHandle;

use super::ListenerState;
use super::routes::WebhookRoute;
use crate::backends::twilio::{TwilioNotice, session_ends_call};
use crate::backends::ultravox::reports_end;
use crate::backends::webhook::CallChange;
use switchboard_engine::blocking;
use switchboard_engine::{EngineError, now};

/// Rows read from the inbox at a time.
const BATCH: u32 = 256;

/// How often the processor looks again at rows waiting for their call.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// What a pass over the inbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxPass {
    /// Rows applied (or found to mean no change) and marked processed.
    pub processed: usize,
    /// Rows parked with a reason (unreadable, or naming no known call past the grace).
    pub failed: usize,
    /// Rows left pending: their call is not known yet.
    pub waiting: usize,
    /// Rows left to another node: the one running their call, or one that claimed them first.
    pub elsewhere: usize,
}

/// Processes every row left unprocessed (at start-up, before the processor runs).
pub async fn replay_inbox(state: &Arc<ListenerState>) -> Result<InboxPass, EngineError> {
    let pass = drain(state).await?;
    if pass != InboxPass::default() {
        tracing::info!(processed = pass.processed, failed = pass.failed, waiting = pass.waiting, "inbox replayed");
    }
    Ok(pass)
}

/// Starts the task that processes the inbox whenever a webhook is stored (by any node of a shared
/// database), and every few seconds for rows waiting for their call. A pass that fails on the store is logged and retried.
pub fn spawn_inbox_processor(state: Arc<ListenerState>) -> JoinHandle<()> {
    spawn_inbox_processor_until(state, std::future::pending())
}

/// [`spawn_inbox_processor`] until `stop` completes: the pass under way finishes its rows, one
/// last pass takes what was stored meanwhile, and the task ends.
pub fn spawn_inbox_processor_until(
    state: Arc<ListenerState>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Rows other nodes of a shared database store wake this processor too.
        let _watch = state.store.watch_new_webhooks({
            let state = Arc::clone(&state);
            move || state.inbox_wakeup.notify_one()
        });
        let mut stop = std::pin::pin!(stop);
        loop {
            let stopping = tokio::select! {
                () = &mut stop => true,
                _woken_or_due = tokio::time::timeout(RETRY_EVERY, state.inbox_wakeup.notified()) => false,
            };
            if let Err(error) = drain(&state).await {
                tracing::error!(%error, "inbox processing stopped short; it resumes shortly");
            }
            if stopping {
                return;
            }
        }
    })
}

/// What processing did with one row.
enum Outcome {
    Processed,
    Waiting,
    Elsewhere,
    Parked(String),
}

async fn drain(state: &Arc<ListenerState>) -> Result<InboxPass, EngineError> {
    let mut pass = InboxPass::default();
    let mut after = 0;
    loop {
        let store = Arc::clone(&state.store);
        let rows = blocking(move || store.unprocessed_webhooks(after, BATCH)).await?;
        let Some(last) = rows.last() else {
            return Ok(pass);
        };
        after = last.id;
        // A short batch was the last: rows stored meanwhile woke the processor for another pass.
        let last_batch = rows.len() < BATCH as usize;
        for row in rows {
            match process(state, &row).await? {
                Outcome::Processed => pass.processed += 1,
                Outcome::Waiting => pass.waiting += 1,
                Outcome::Elsewhere => pass.elsewhere += 1,
                Outcome::Parked(reason) => {
                    let store = Arc::clone(&state.store);
                    let parked = blocking(move || {
                        let claimed = store.claim_webhook(row.id)?;
                        if claimed {
                            store.mark_webhook_failed(row.id, &reason)?;
                            tracing::warn!(inbox = row.id, route = row.route, reason, "webhook parked");
                        }
                        Ok::<_, EngineError>(claimed)
                    })
                    .await?;
                    if parked {
                        pass.failed += 1;
                    } else {
                        pass.elsewhere += 1;
                    }
                }
            }
        }
        if last_batch {
            return Ok(pass);
        }
    }
}

/// Applies one row and marks it processed, or says why it cannot be applied (yet).
async fn process(state: &Arc<ListenerState>, row: &WebhookRow) -> Result<Outcome, EngineError> {
    let Some(route) = WebhookRoute::from_name(&row.route) else {
        return Ok(Outcome::Parked(format!("unknown route {:?}", row.route)));
    };
    let change = match route.call_change(&row.body) {
        Ok(change) => change,
        Err(error) => return Ok(Outcome::Parked(error.to_string())),
    };
    if let Some(CallChange { provider_ids, state: next, reason, report, notice }) = change {
        let store = Arc::clone(&state.store);
        let ids = provider_ids.clone();
        let call = blocking(move || {
            for id in &ids {
                if let Some(call) = store.call_by_provider_id(id)? {
                    return Ok(Some(call));
                }
            }
            Ok::<_, EngineError>(None)
        })
        .await?;
        let Some(call) = call else {
            if provider_ids.is_empty() {
                return Ok(Outcome::Parked("the webhook names no call".to_owned()));
            }
            let waited = Duration::from_millis(u64::try_from(now().0 - row.received_at.0).unwrap_or_default());
            if waited < state.settings.unknown_call_grace {
                return Ok(Outcome::Waiting);
            }
            return Ok(Outcome::Parked(format!("no call is known by {}", provider_ids.join(" or "))));
        };
        if !claim(state, row.id, Some(call.id)).await? {
            return Ok(Outcome::Elsewhere);
        }
        let ultravox = state.ultravox.as_ref().filter(|_| call.backend == BackendKind::Ultravox);
        match (report, notice) {
            (Some(report), _) => {
                let record = String::from_utf8_lossy(&row.body).into_owned();
                report.finished(&state.providers.current(), record).await.deliver(&state.reports, &call).await?;
            }
            // A machine answering a pipeline call whose session runs is the session's to act
            // on: it stops talking, has the voicemail policy carried out and ends the call once.
            (None, Some(TwilioNotice::Machine))
                if call.backend == BackendKind::Pipeline && state.pipeline.machine_answered(call.id) => {}
            (None, Some(notice)) => match &state.twilio {
                Some(dialer) => dialer.apply(&state.reports, &call, notice).await?,
                None => tracing::warn!(inbox = row.id, "a Twilio notice with no Twilio dialer configured; ignored"),
            },
            // Ultravox's end is confirmed and its messages fetched before the call is closed.
            (None, None) if let Some(ultravox) = ultravox.filter(|_| reports_end(route.provider(), next)) => {
                ultravox.report_end(&state.reports, &call).await?;
            }
            // A pipeline call whose session has its stream ends the call itself, with why.
            (None, None) if route == WebhookRoute::TwilioStatus && session_ends_call(&state.pipeline, &call, next) => {}
            (None, None) => state.reports.deliver_state(&call, next, reason).await?,
        }
    } else if !claim(state, row.id, None).await? {
        return Ok(Outcome::Elsewhere);
    }
    switchboard_store::failpoint!("inbox-applied");
    let (store, id) = (Arc::clone(&state.store), row.id);
    blocking(move || store.mark_webhook_processed(id, now())).await?;
    switchboard_store::failpoint!("inbox-marked");
    Ok(Outcome::Processed)
}

/// Takes row `id` for this node to apply, unless it is about a call another live node runs
/// (`call`), or another node claimed it first.
async fn claim(state: &Arc<ListenerState>, id: i64, call: Option<CallId>) -> Result<bool, EngineError> {
    let store = Arc::clone(&state.store);
    blocking(move || {
        // A process that is no node of a shared database applies every row.
        let Some(node) = store.node() else { return Ok(true) };
        if let Some(call) = call
            && store.webhook_applier(call)?.is_some_and(|runner| runner != node)
        {
            return Ok::<_, EngineError>(false);
        }
        Ok(store.claim_webhook(id)?)
    })
    .await
}
