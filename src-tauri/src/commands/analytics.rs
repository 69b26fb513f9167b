//! Commands of Analytics: every figure for a filter, and their export as CSV or .xlsx.

use std::path::PathBuf;

use switchboard_core::{Analytics, AnalyticsFilter};
use switchboard_engine::analytics;
use switchboard_engine::tables::ExportFormat;

use super::{Export, Reply, export_bytes, export_format, query, with_store};
use crate::dto::CommandError;
use crate::operations::Ctx;

pub async fn analytics_figures(ctx: &Ctx<'_>, filter: AnalyticsFilter) -> Reply<Analytics> {
    let scope = filter.scope().map_err(CommandError::invalid)?;
    query(ctx.console, move |store| analytics::analytics(store, &scope)).await
}

/// Writes the figures for `filter` to `path`, as CSV or .xlsx by its extension, else `format`.
pub async fn export_analytics(
    ctx: &Ctx<'_>,
    filter: AnalyticsFilter,
    format: ExportFormat,
    path: PathBuf,
) -> Reply<Export<()>> {
    let format = export_format(&path, &[ExportFormat::Csv, ExportFormat::Xlsx], Some(format))?;
    let scope = filter.scope().map_err(CommandError::invalid)?;
    let export = with_store(ctx.console, move |store| {
        let figures = analytics::analytics(store, &scope)?;
        Ok::<_, CommandError>(analytics::export(&figures, format))
    })
    .await?;
    Ok(Export { bytes: export_bytes(&path, export)?, answer: () })
}
