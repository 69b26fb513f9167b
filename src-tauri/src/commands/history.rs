//! Commands of History: filtered pages of calls, transcript search, a call's full record,
//! exports, contact memory, retention and forgetting a contact.

use std::path::PathBuf;

use switchboard_core::{CallFilter, CallId, CallSummary, ContactId, FieldError};
use switchboard_engine::history::{
    self, CallRecord, MEMORY_CALLS, RECORDING_RETENTION_DAYS, contact_memory, memory_calls, retention_days,
};
use switchboard_engine::now;
use switchboard_engine::tables::ExportFormat;
use tauri::State;

use super::{Reply, engine, export_format, query, with_store, write_export};
use crate::console::Console;
use crate::dto::{CommandError, ForgetReport, HistoryHit, HistorySettings};
use crate::playback::Speakers;

/// Most calls one page of History holds.
const MAX_PAGE: u32 = 500;

#[tauri::command]
pub async fn history_page(
    console: State<'_, Console>,
    filter: CallFilter,
    before: Option<CallId>,
    limit: u32,
) -> Reply<Vec<CallSummary>> {
    query(&console, move |store| store.history_page(&filter, before, limit.clamp(1, MAX_PAGE))).await
}

#[tauri::command]
pub async fn history_count(console: State<'_, Console>, filter: CallFilter) -> Reply<u64> {
    query(&console, move |store| store.history_count(&filter)).await
}

#[tauri::command]
pub async fn history_search(
    console: State<'_, Console>,
    filter: CallFilter,
    text: String,
    limit: u32,
) -> Reply<Vec<HistoryHit>> {
    query(&console, move |store| {
        let hits = store.history_search(&filter, &text, limit.clamp(1, MAX_PAGE))?;
        Ok(hits.into_iter().map(|hit| HistoryHit { call: hit.call, seq: hit.seq, snippet: hit.snippet }).collect())
    })
    .await
}

#[tauri::command]
pub async fn call_detail(console: State<'_, Console>, call_id: CallId) -> Reply<CallRecord> {
    with_store(&console, move |store| history::call_record(store, call_id)).await
}

/// Writes one call (`call_id`) or a whole campaign (`campaign_id`) to `path`, in the format its
/// extension names (.json, .csv, .xlsx, .txt), else in `format`.
#[tauri::command]
pub async fn export_history(
    console: State<'_, Console>,
    call_id: Option<CallId>,
    campaign_id: Option<i64>,
    format: ExportFormat,
    path: PathBuf,
) -> Reply<()> {
    let offered = [ExportFormat::Json, ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Text];
    let format = export_format(&path, &offered, Some(format))?;
    let export = with_store(&console, move |store| match (call_id, campaign_id) {
        (Some(call), None) => history::export_call(store, call, format),
        (None, Some(campaign)) => history::export_campaign(store, campaign, format),
        _ => Err(switchboard_engine::EngineError::InvalidRequest("export a call or a campaign, not both".into())),
    })
    .await;
    write_export(&path, export.map_err(|err| err.message))
}

/// What the next call with a contact will be told about their past calls.
#[tauri::command]
pub async fn contact_memory_text(console: State<'_, Console>, contact_id: ContactId) -> Reply<String> {
    query(&console, move |store| contact_memory(store, contact_id, memory_calls(store)?)).await
}

#[tauri::command]
pub async fn get_history_settings(console: State<'_, Console>) -> Reply<HistorySettings> {
    query(&console, |store| {
        Ok(HistorySettings { memory_calls: memory_calls(store)?, retention_days: retention_days(store)? })
    })
    .await
}

/// Saves the History settings, then applies retention at once.
#[tauri::command]
pub async fn set_history_settings(console: State<'_, Console>, settings: HistorySettings) -> Reply<u32> {
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
    let recordings = engine(&console)?.recordings();
    with_store(&console, move |store| {
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

#[tauri::command]
pub async fn forget_contact(
    console: State<'_, Console>,
    speakers: State<'_, Speakers>,
    contact_id: ContactId,
) -> Reply<ForgetReport> {
    speakers.release();
    let recordings = engine(&console)?.recordings();
    with_store(&console, move |store| {
        let forgotten = history::forget_contact(store, recordings.as_ref(), contact_id)?;
        Ok::<_, CommandError>(ForgetReport {
            calls: forgotten.calls as u32,
            recordings: forgotten.recording_files.len() as u32,
            number_suppressed: forgotten.number_suppressed,
        })
    })
    .await
}
