//! `switchboard campaign pause | resume | cancel ID`: a campaign's state changed from the command
//! line. The process holding the profile (see `profile_lock`) runs the campaign and sees the
//! change at its next step; when no process holds it, resume and cancel take the profile and do
//! the work here, having first closed the calls a stopped process left open.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_engine::campaigns::spawn_runner;
use switchboard_engine::costs::raise_budget;
use switchboard_engine::now;
use switchboard_store::Store;

use crate::campaign_cli::{RunOn, campaign_agents, follow};
use crate::output::print;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, LockError, ProfileLock};
use crate::startup::{self, SETTLE, Startup, open_store};

/// How long `cancel --end-calls` waits for the process running the campaign to end its calls.
const END_CALLS_WAIT: Duration = Duration::from_secs(15);

/// Pauses campaign `id`: no new call starts, calls on the line finish.
pub fn pause(paths: &DataPaths, id: i64) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    if !store.set_campaign_paused(id, true).map_err(|err| err.to_string())? {
        return Err(not_running(&store, id));
    }
    print(&format!("paused campaign {id}: no new call starts; calls on the line finish\n"));
    Ok(ExitCode::SUCCESS)
}

/// Resumes campaign `id` (with a new budget when `budget` is given): in the process that runs it
/// when one holds the profile, else here to its summary.
pub fn resume(paths: &DataPaths, id: i64, budget: Option<f64>, json: bool, run: &RunOn) -> Result<ExitCode, String> {
    let mut lock = match ProfileLock::acquire(paths, Holder::CampaignResume) {
        Ok(lock) => lock,
        Err(held) if held.holder().is_some_and(|holder| runs(holder, id)) => {
            let store = open_store(paths)?;
            set_running(&store, id, budget)?;
            print(&format!("resumed campaign {id}; {} runs it\n", held.who()));
            return Ok(ExitCode::SUCCESS);
        }
        Err(refused) => return Err(refused.to_string()),
    };
    if let Err(err) = lock.describe(&format!("{} #{id}", Holder::CampaignResume.as_str())) {
        tracing::warn!(error = %err, "could not note the campaign in the profile's lock file");
    }
    let store = open_store(paths)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let agents = campaign_agents(&store, id)?;
    runtime.block_on(async {
        let switchboard = run.start(paths, &store, &agents).await?;
        let engine = Arc::clone(&switchboard.engine);
        match set_running(&store, id, budget) {
            Ok(()) => {}
            // A budget refused says why (not above what was spent, or the campaign finished).
            Err(refused) if budget.is_some() => return Err(refused),
            // A campaign stopped in error has no runner anywhere: this one takes it up again.
            Err(_) if store.resume_stopped_campaign(id).map_err(|err| err.to_string())? => {}
            Err(_) => return Err(not_running(&store, id)),
        }
        let mut events = engine.bus().subscribe();
        spawn_runner(Arc::clone(&engine), id);
        let followed = follow(&store, id, &mut events, json).await;
        switchboard.stop(SETTLE, std::future::pending()).await;
        followed
    })
}

/// Sets a paused campaign running, with `budget` when given (it must be above what was spent).
fn set_running(store: &Store, id: i64, budget: Option<f64>) -> Result<(), String> {
    match budget {
        Some(budget) => raise_budget(store, id, budget).map_err(|err| err.to_string()),
        None if store.set_campaign_paused(id, false).map_err(|err| err.to_string())? => Ok(()),
        None => Err(not_running(store, id)),
    }
}

/// Cancels campaign `id`: contacts not called yet are not called; its calls on the line are
/// ended now (`end_calls`) or finish.
pub fn cancel(paths: &DataPaths, id: i64, end_calls: bool) -> Result<ExitCode, String> {
    match ProfileLock::acquire(paths, Holder::CampaignCancel) {
        Ok(_lock) => cancel_here(paths, id, end_calls),
        Err(held @ LockError::Held { .. }) => cancel_there(paths, id, end_calls, &held),
        Err(refused) => Err(refused.to_string()),
    }
}

/// No process runs the campaign: its calls a stopped process left are closed (their targets
/// canceled with the rest); calls a provider carries on are left, and named.
fn cancel_here(paths: &DataPaths, id: i64, end_calls: bool) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let startup = Startup::one_job(Arc::clone(&store), Arc::new(crate::keychain::Keychain::default()));
    let report = runtime.block_on(startup::run_job(paths, startup, |engine| async move {
        engine.cancel_campaign(id, end_calls).await.map_err(|err| err.to_string())
    }))?;
    let mut out = format!("canceled campaign {id}\n");
    for left in &report.left {
        out.push_str(&format!("  left to finish: {} (call {}): {}\n", left.contact_name, left.call_id, left.reason));
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// Another process holds the profile: the cancel is written to the store, where that process's
/// runner finds it (and ends its calls when asked); with `end_calls`, waits a while for them.
fn cancel_there(paths: &DataPaths, id: i64, end_calls: bool, held: &LockError) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    if !store.cancel_campaign(id, end_calls, now()).map_err(|err| err.to_string())? {
        return Err(not_running(&store, id));
    }
    if !end_calls {
        print(&format!("canceled campaign {id}; its calls on the line finish ({} runs it)\n", held.who()));
        return Ok(ExitCode::SUCCESS);
    }
    let deadline = Instant::now() + END_CALLS_WAIT;
    let on_line = loop {
        let on_line = calls_on_line(&store, id)?;
        if on_line.is_empty() || Instant::now() >= deadline {
            break on_line;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut out = format!("canceled campaign {id}; {} was asked to end its calls on the line\n", held.who());
    for (name, call) in &on_line {
        out.push_str(&format!("  still on the line after {} s: {name} (call {call})\n", END_CALLS_WAIT.as_secs()));
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// The campaign's targets still on the line: contact name and call id.
fn calls_on_line(store: &Store, id: i64) -> Result<Vec<(String, String)>, String> {
    let campaign = store.campaign(id).map_err(|err| err.to_string())?.ok_or(format!("no campaign {id}"))?;
    let targets = store.campaign_targets(id, campaign.round).map_err(|err| err.to_string())?;
    Ok(targets
        .into_iter()
        .filter(|t| t.status == "calling")
        .map(|t| {
            let name = store.contact(t.contact_id).ok().flatten().map(|c| c.fields.name).unwrap_or_default();
            (name, t.call_id.map(|c| c.to_string()).unwrap_or_else(|| "not placed yet".into()))
        })
        .collect())
}

/// Whether the process that says it is doing `holder` runs campaign `id`.
fn runs(holder: &str, id: i64) -> bool {
    holder == Holder::Console.as_str()
        || holder == Holder::Serve.as_str()
        || holder == format!("{} #{id}", Holder::CampaignRun.as_str())
        || holder == format!("{} #{id}", Holder::CampaignResume.as_str())
}

/// Why campaign `id` cannot be paused, resumed or canceled.
fn not_running(store: &Store, id: i64) -> String {
    match store.campaign(id) {
        Ok(Some(campaign)) => format!("campaign {id} has already finished ({})", campaign.status),
        Ok(None) => format!("no campaign {id}"),
        Err(err) => err.to_string(),
    }
}
