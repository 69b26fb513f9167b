//! Commands of Analytics: every figure for a filter, and their export as CSV or .xlsx.

use std::path::PathBuf;

use switchboard_core::{Analytics, AnalyticsFilter};
use switchboard_engine::analytics;
use switchboard_engine::tables::ExportFormat;
use tauri::State;

use super::{Reply, export_format, query, with_store, write_export};
use crate::console::Console;
use crate::dto::CommandError;

#[tauri::command]
pub async fn analytics_figures(console: State<'_, Console>, filter: AnalyticsFilter) -> Reply<Analytics> {
    let scope = filter.scope().map_err(CommandError::invalid)?;
    query(&console, move |store| analytics::analytics(store, &scope)).await
}

/// Writes the figures for `filter` to `path`, as CSV or .xlsx by its extension, else `format`.
#[tauri::command]
pub async fn export_analytics(
    console: State<'_, Console>,
    filter: AnalyticsFilter,
    format: ExportFormat,
    path: PathBuf,
) -> Reply<()> {
    let format = export_format(&path, &[ExportFormat::Csv, ExportFormat::Xlsx], Some(format))?;
    let scope = filter.scope().map_err(CommandError::invalid)?;
    let export = with_store(&console, move |store| {
        let figures = analytics::analytics(store, &scope)?;
        Ok::<_, CommandError>(analytics::export(&figures, format))
    })
    .await?;
    write_export(&path, export)
}
