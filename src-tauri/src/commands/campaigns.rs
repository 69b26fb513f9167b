//! Commands about campaigns: check, launch, watch, pause/resume, cancel (ending the calls on the
//! line or letting them finish), resolve a driver on the review queue, export the summary.

use std::path::PathBuf;

use switchboard_core::{AgentId, ContactId, FieldError, QuoteRequest, freight_estimate_problem};
use switchboard_engine::campaigns::{
    CampaignKind, CampaignResult, CampaignSpec, CampaignView, LastQuote, LaunchProblem, PastItems, campaign_view,
    estimate_freight, last_quotes, launch_problems, past_items, resolve_review,
};
use switchboard_engine::costs::raise_budget;
use switchboard_engine::tables::ExportFormat;
use switchboard_engine::{EngineError, ErrorCode};

use super::{Export, Reply, engine, export_bytes, export_format, with_store};
use crate::dto::{CampaignCanceled, CommandError};
use crate::operations::Ctx;

pub async fn list_campaigns(ctx: &Ctx<'_>) -> Reply<Vec<CampaignView>> {
    with_store(ctx.console, |store| {
        store
            .list_campaigns()?
            .into_iter()
            .map(|row| campaign_view(store, row))
            .collect::<Result<Vec<_>, EngineError>>()
    })
    .await
}

/// The contacts a campaign would skip, and why, and what it warns about, before it is launched.
pub async fn check_campaign(
    ctx: &Ctx<'_>,
    kind: CampaignKind,
    agent_id: AgentId,
    negotiation_agent_id: Option<AgentId>,
    contacts: Vec<ContactId>,
    request: Option<QuoteRequest>,
) -> Reply<Vec<LaunchProblem>> {
    with_store(ctx.console, move |store| {
        launch_problems(store, agent_id, negotiation_agent_id, &contacts, kind.contact_kind(), request.as_ref())
    })
    .await
}

pub async fn launch_campaign(ctx: &Ctx<'_>, spec: CampaignSpec) -> Reply<CampaignView> {
    let problems = spec.problems_today();
    if !problems.is_empty() {
        return Err(CommandError::invalid(problems));
    }
    let id = engine(ctx.console)?.launch_campaign(spec).await?;
    campaign(ctx.console, id).await
}

/// Each vendor's last quote for `item`, for the builder's vendor picker.
pub async fn vendor_last_quotes(ctx: &Ctx<'_>, item: String) -> Reply<Vec<LastQuote>> {
    with_store(ctx.console, move |store| last_quotes(store, &item)).await
}

/// The items each vendor was asked to quote in past campaigns, for the vendor picker's search.
pub async fn vendor_past_items(ctx: &Ctx<'_>) -> Reply<Vec<PastItems>> {
    with_store(ctx.console, past_items).await
}

/// Sets (or, with none, removes) the freight estimate for one vendor's ex-works / FOB-origin
/// quote in a finished quote campaign, which ranks its quotes again.
pub async fn estimate_vendor_freight(
    ctx: &Ctx<'_>,
    id: i64,
    contact_id: ContactId,
    amount: Option<f64>,
) -> Reply<CampaignView> {
    if let Some(problem) = amount.and_then(freight_estimate_problem) {
        return Err(CommandError::invalid(vec![FieldError::new(format!("vendorFreight.{contact_id}"), problem)]));
    }
    estimate_freight(&engine(ctx.console)?, id, contact_id, amount).await?;
    campaign(ctx.console, id).await
}

/// Pauses (`paused`) or resumes (`running`) a campaign.
pub async fn set_campaign_status(ctx: &Ctx<'_>, id: i64, status: String) -> Reply<CampaignView> {
    let paused = match status.as_str() {
        "paused" => true,
        "running" => false,
        _ => {
            return Err(CommandError::new(ErrorCode::InvalidInput, format!("{status:?} is not paused or running")));
        }
    };
    let changed = with_store(ctx.console, move |store| store.set_campaign_paused(id, paused)).await?;
    if !changed {
        return Err(CommandError::new(ErrorCode::InvalidInput, format!("campaign {id} has already finished")));
    }
    campaign(ctx.console, id).await
}

/// Gives a campaign a new budget, above what it spent, and sets it running (a campaign paused
/// because its budget was reached goes on).
pub async fn set_campaign_budget(ctx: &Ctx<'_>, id: i64, budget_usd: f64) -> Reply<CampaignView> {
    with_store(ctx.console, move |store| raise_budget(store, id, budget_usd)).await?;
    campaign(ctx.console, id).await
}

/// Cancels a campaign: its targets not called yet say canceled; its calls on the line are ended
/// now (`end_calls`) where their backend can, or left to finish. Says which calls are left.
pub async fn cancel_campaign(ctx: &Ctx<'_>, id: i64, end_calls: bool) -> Reply<CampaignCanceled> {
    let report = engine(ctx.console)?.cancel_campaign(id, end_calls).await?;
    Ok(CampaignCanceled { campaign: campaign(ctx.console, id).await?, ended: report.ended, left: report.left })
}

/// Writes a finished campaign's summary to `path` as CSV, JSON, .xlsx or text (by extension).
pub async fn export_campaign_summary(ctx: &Ctx<'_>, id: i64, path: PathBuf) -> Reply<Export<()>> {
    let offered = [ExportFormat::Csv, ExportFormat::Json, ExportFormat::Xlsx, ExportFormat::Text];
    let format = export_format(&path, &offered, None)?;
    let view = campaign(ctx.console, id).await?;
    let result: CampaignResult = view
        .result
        .ok_or_else(|| CommandError::new(ErrorCode::InvalidInput, format!("campaign {id} has no summary yet")))?;
    Ok(Export { bytes: export_bytes(&path, result.export(format))?, answer: () })
}

/// Marks a flagged driver of a finished batch resolved with the dispatcher's note.
pub async fn resolve_driver_review(ctx: &Ctx<'_>, id: i64, contact_id: ContactId, note: String) -> Reply<CampaignView> {
    with_store(ctx.console, move |store| resolve_review(store, id, contact_id, &note)).await?;
    campaign(ctx.console, id).await
}

async fn campaign(console: &crate::console::Console, id: i64) -> Reply<CampaignView> {
    with_store(console, move |store| {
        let row =
            store.campaign(id)?.ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("campaign {id}")))?;
        campaign_view(store, row).map_err(CommandError::from)
    })
    .await
}
