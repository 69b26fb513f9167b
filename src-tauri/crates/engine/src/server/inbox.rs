//! Inbox processing: apply stored webhooks to their calls, in the order they arrived, and mark
//! each row. Applying is idempotent (a call's state only moves forward), so a row applied twice
//! (the app died between applying and marking) changes nothing the second time.

use std::sync::Arc;

use switchboard_store::WebhookRow;
use tokio::task::JoinHandle;

use super::ListenerState;
use super::call_change::{CallChange, call_change};
use super::routes::WebhookRoute;
use crate::call_task::apply_state;
use crate::dispatcher::blocking;
use crate::{EngineError, now};

/// Rows read from the inbox at a time.
const BATCH: u32 = 256;

/// What a pass over the inbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxPass {
    /// Rows applied (or found to mean no change) and marked processed.
    pub processed: usize,
    /// Rows parked with a reason (unreadable, or naming no known call).
    pub failed: usize,
}

/// Processes every row left unprocessed (at start-up, before the processor runs).
pub async fn replay_inbox(state: &Arc<ListenerState>) -> Result<InboxPass, EngineError> {
    let pass = drain(state).await?;
    if pass != InboxPass::default() {
        tracing::info!(processed = pass.processed, failed = pass.failed, "inbox replayed");
    }
    Ok(pass)
}

/// Starts the task that processes the inbox whenever a webhook is stored. A pass that fails on
/// the store is logged and retried at the next wake-up.
pub fn spawn_inbox_processor(state: Arc<ListenerState>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            state.inbox_wakeup.notified().await;
            if let Err(error) = drain(&state).await {
                tracing::error!(%error, "inbox processing stopped short; it resumes at the next webhook");
            }
        }
    })
}

async fn drain(state: &Arc<ListenerState>) -> Result<InboxPass, EngineError> {
    let mut pass = InboxPass::default();
    loop {
        let store = Arc::clone(&state.store);
        let rows = blocking(move || store.unprocessed_webhooks(BATCH)).await?;
        if rows.is_empty() {
            return Ok(pass);
        }
        for row in rows {
            match process(state, &row).await? {
                Ok(()) => pass.processed += 1,
                Err(reason) => {
                    tracing::warn!(inbox = row.id, route = row.route, reason, "webhook parked");
                    let store = Arc::clone(&state.store);
                    blocking(move || store.mark_webhook_failed(row.id, &reason)).await?;
                    pass.failed += 1;
                }
            }
        }
    }
}

/// Applies one row and marks it processed; `Ok(Err(reason))` when the row cannot be applied.
async fn process(state: &Arc<ListenerState>, row: &WebhookRow) -> Result<Result<(), String>, EngineError> {
    let Some(route) = WebhookRoute::from_name(&row.route) else {
        return Ok(Err(format!("unknown route {:?}", row.route)));
    };
    let change = match call_change(route, &row.body) {
        Ok(change) => change,
        Err(error) => return Ok(Err(error.to_string())),
    };
    if let Some(CallChange { provider_ids, state: next, reason }) = change {
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
            return Ok(Err(if provider_ids.is_empty() {
                "the webhook names no call".to_owned()
            } else {
                format!("no call is known by {}", provider_ids.join(" or "))
            }));
        };
        apply_state(&state.store, &state.bus, call.id, next, reason).await?;
    }
    let (store, id) = (Arc::clone(&state.store), row.id);
    blocking(move || store.mark_webhook_processed(id, now())).await?;
    Ok(Ok(()))
}
