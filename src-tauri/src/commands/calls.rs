//! Commands about calls: list, start, and the app's own facts.

use switchboard_core::{AgentId, CallSummary, ContactId, FieldError, Offer, QuoteRequest};
use switchboard_engine::{ActionCall, local_date, now};

use super::{Reply, engine, query};
use crate::dto::{AppInfo, CommandError, InstallPaths};
use crate::operations::Ctx;

/// How many calls the Live section lists.
const RECENT_CALLS: u32 = 200;

/// The app's facts; over a team server (no desktop) without the server's paths.
pub async fn app_info(ctx: &Ctx<'_>) -> Reply<AppInfo> {
    let paths = ctx.desktop.map(|_| InstallPaths {
        data_dir: ctx.console.paths.root.display().to_string(),
        database_path: ctx.console.paths.database.display().to_string(),
        log_dir: ctx.console.paths.logs.display().to_string(),
    });
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        paths,
        backends: ctx.console.backends(),
        startup_error: ctx.console.engine.as_ref().err().cloned(),
    })
}

pub async fn list_calls(ctx: &Ctx<'_>) -> Reply<Vec<CallSummary>> {
    query(ctx.console, |store| store.list_calls(RECENT_CALLS)).await
}

pub async fn list_offers(ctx: &Ctx<'_>) -> Reply<Vec<Offer>> {
    query(ctx.console, |store| store.list_offers()).await
}

/// A single call to a contact; a quote call is given its `request` (what to quote), checked
/// as a campaign's is.
pub async fn start_call(
    ctx: &Ctx<'_>,
    contact_id: ContactId,
    agent_id: AgentId,
    request: Option<QuoteRequest>,
) -> Reply<CallSummary> {
    let engine = engine(ctx.console)?;
    let Some(request) = request else { return Ok(engine.start_call(contact_id, agent_id).await?) };
    let problems = request.problems(local_date(now()));
    if !problems.is_empty() {
        return Err(CommandError::invalid(problems));
    }
    Ok(engine.start_quote_call(contact_id, agent_id, &request).await?)
}

/// A one-off call with an action and context. An empty number or action is refused with both
/// named at once, so the form can say beside each field what is missing.
pub async fn call_with_action(ctx: &Ctx<'_>, call: ActionCall) -> Reply<CallSummary> {
    let mut missing = Vec::new();
    if call.phone.trim().is_empty() {
        missing.push(FieldError::new("phone", "the number to call is missing"));
    }
    if call.action.trim().is_empty() {
        missing.push(FieldError::new("action", "say what the call is for"));
    }
    if !missing.is_empty() {
        return Err(CommandError::invalid(missing));
    }
    Ok(engine(ctx.console)?.call_with_action(call).await?)
}
