//! Commands about calls: list, start, and the app's own facts.

use switchboard_core::{AgentId, CallSummary, ContactId, FieldError, Offer, QuoteRequest};
use switchboard_engine::{ActionCall, local_date, now};
use tauri::State;

use super::{Reply, engine, query};
use crate::console::Console;
use crate::dto::{AppInfo, CommandError};

/// How many calls the Live section lists.
const RECENT_CALLS: u32 = 200;

#[tauri::command]
pub fn app_info(console: State<'_, Console>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: console.paths.root.display().to_string(),
        database_path: console.paths.database.display().to_string(),
        log_dir: console.paths.logs.display().to_string(),
        backends: console.backends(),
        startup_error: console.engine.as_ref().err().cloned(),
    }
}

#[tauri::command]
pub async fn list_calls(console: State<'_, Console>) -> Reply<Vec<CallSummary>> {
    query(&console, |store| store.list_calls(RECENT_CALLS)).await
}

#[tauri::command]
pub async fn list_offers(console: State<'_, Console>) -> Reply<Vec<Offer>> {
    query(&console, |store| store.list_offers()).await
}

/// A single call to a contact; a quote call is given its `request` (what to quote), checked
/// as a campaign's is.
#[tauri::command]
pub async fn start_call(
    console: State<'_, Console>,
    contact_id: ContactId,
    agent_id: AgentId,
    request: Option<QuoteRequest>,
) -> Reply<CallSummary> {
    let engine = engine(&console)?;
    let Some(request) = request else { return Ok(engine.start_call(contact_id, agent_id).await?) };
    let problems = request.problems(local_date(now()));
    if !problems.is_empty() {
        return Err(CommandError::invalid(problems));
    }
    Ok(engine.start_quote_call(contact_id, agent_id, &request).await?)
}

/// A one-off call with an action and context. An empty number or action is refused with both
/// named at once, so the form can say beside each field what is missing.
#[tauri::command]
pub async fn call_with_action(console: State<'_, Console>, call: ActionCall) -> Reply<CallSummary> {
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
    Ok(engine(&console)?.call_with_action(call).await?)
}
