//! Commands of History: filtered pages of calls, transcript search, a call's full record,
//! exports, contact memory, retention and forgetting a contact.

use std::path::PathBuf;
use std::sync::Arc;

use switchboard_core::{CallFilter, CallId, CallSummary, ContactId, FieldError};
use switchboard_engine::history::{
    self, CallRecord, MEMORY_CALLS, RECORDING_RETENTION_DAYS, contact_memory, memory_calls, retention_days,
};
use switchboard_engine::now;
use switchboard_engine::tables::ExportFormat;
use switchboard_store::{Store, StoreError};

use super::{Export, Reply, engine, export_bytes, export_format, on_store, query, with_store};
use crate::dto::{CommandError, ForgetReport, HistoryHit, HistorySettings};
use crate::operations::Ctx;

/// Most calls one page of History holds.
const MAX_PAGE: u32 = 500;

pub async fn history_page(
    ctx: &Ctx<'_>,
    filter: CallFilter,
    before: Option<CallId>,
    limit: u32,
) -> Reply<Vec<CallSummary>> {
    read(ctx, move |store| store.history_page(&filter, before, limit.clamp(1, MAX_PAGE))).await
}

pub async fn history_count(ctx: &Ctx<'_>, filter: CallFilter) -> Reply<u64> {
    read(ctx, move |store| store.history_count(&filter)).await
}

pub async fn history_search(ctx: &Ctx<'_>, filter: CallFilter, text: String, limit: u32) -> Reply<Vec<HistoryHit>> {
    read(ctx, move |store| {
        let hits = store.history_search(&filter, &text, limit.clamp(1, MAX_PAGE))?;
        Ok::<_, StoreError>(
            hits.into_iter().map(|hit| HistoryHit { call: hit.call, seq: hit.seq, snippet: hit.snippet }).collect(),
        )
    })
    .await
}

pub async fn call_detail(ctx: &Ctx<'_>, call_id: CallId) -> Reply<CallRecord> {
    read(ctx, move |store| history::call_record(store, call_id)).await
}

/// Runs a History read on the store it reads: the offline copy of the team server's History
/// while the console answers from it, else the engine's.
async fn read<T: Send + 'static, E: Into<CommandError> + Send + 'static>(
    ctx: &Ctx<'_>,
    work: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Reply<T> {
    match &ctx.history {
        Some(copy) => on_store(Arc::clone(copy), work).await,
        None => with_store(ctx.console, work).await,
    }
}

/// Writes one call (`call_id`) or a whole campaign (`campaign_id`) to `path`, in the format its
/// extension names (.json, .csv, .xlsx, .txt), else in `format`.
pub async fn export_history(
    ctx: &Ctx<'_>,
    call_id: Option<CallId>,
    campaign_id: Option<i64>,
    format: ExportFormat,
    path: PathBuf,
) -> Reply<Export<()>> {
    let offered = [ExportFormat::Json, ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Text];
    let format = export_format(&path, &offered, Some(format))?;
    let export = with_store(ctx.console, move |store| match (call_id, campaign_id) {
        (Some(call), None) => history::export_call(store, call, format),
        (None, Some(campaign)) => history::export_campaign(store, campaign, format),
        _ => Err(switchboard_engine::EngineError::InvalidRequest("export a call or a campaign, not both".into())),
    })
    .await;
    Ok(Export { bytes: export_bytes(&path, export.map_err(|err| err.message))?, answer: () })
}

/// What the next call with a contact will be told about their past calls.
pub async fn contact_memory_text(ctx: &Ctx<'_>, contact_id: ContactId) -> Reply<String> {
    query(ctx.console, move |store| contact_memory(store, contact_id, memory_calls(store)?)).await
}

pub async fn get_history_settings(ctx: &Ctx<'_>) -> Reply<HistorySettings> {
    query(ctx.console, |store| {
        Ok(HistorySettings { memory_calls: memory_calls(store)?, retention_days: retention_days(store)? })
    })
    .await
}

/// Saves the History settings, then applies retention at once.
pub async fn set_history_settings(ctx: &Ctx<'_>, settings: HistorySettings) -> Reply<u32> {
    let mut problems = Vec::new();
    if settings.memory_calls > 20 {
        problems.push(FieldError::new("memoryCalls", "at most 20 past calls"));
    }
    if settings.retention_days == Some(0) {
        problems.push(FieldError::new("retentionDays", "keep recordings at least 1 day"));
    }
    if !problems.is_empty() {
        return Err(CommandError::invalid(problems));
    }
    let recordings = engine(ctx.console)?.recordings();
    with_store(ctx.console, move |store| {
        let days = settings.retention_days.map(|days| days.to_string()).unwrap_or_default();
        store.set_settings(&[(MEMORY_CALLS, &settings.memory_calls.to_string()), (RECORDING_RETENTION_DAYS, &days)])?;
        let deleted = match (settings.retention_days, recordings) {
            (Some(days), Some(recordings)) => history::apply_retention(store, &recordings, days, now())?,
            _ => 0,
        };
        Ok::<_, CommandError>(deleted as u32)
    })
    .await
}

pub async fn forget_contact(ctx: &Ctx<'_>, contact_id: ContactId) -> Reply<ForgetReport> {
    // A recording playing on this computer's speakers lets its file go first.
    if let Ok(speakers) = ctx.speakers() {
        speakers.release();
    }
    let recordings = engine(ctx.console)?.recordings();
    with_store(ctx.console, move |store| {
        let forgotten = history::forget_contact(store, recordings.as_ref(), contact_id)?;
        Ok::<_, CommandError>(ForgetReport {
            calls: forgotten.calls as u32,
            recordings: forgotten.recording_files.len() as u32,
            number_suppressed: forgotten.number_suppressed,
        })
    })
    .await
}
