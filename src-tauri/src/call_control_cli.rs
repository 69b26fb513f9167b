//! `switchboard call-control ID end | take-over | steer TEXT | say TEXT`: the dispatcher's hand on
//! a call on the line from the command line. The process holding the profile (the console or
//! `serve`) runs the call: the action is written to the store as a request, which that process
//! takes up within a moment; this command waits for the outcome and prints it. When no process
//! holds the profile, only calls a provider carries on can still be live: the engine is started
//! here and the action carried out by it.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use switchboard_core::{ActionStatus, CallAction, CallId, ControlAction, check_control_text};
use switchboard_engine::settings::dispatcher_phone;
use switchboard_engine::{NO_DISPATCHER_PHONE, now};
use switchboard_store::Store;

use crate::output::print;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, LockError, ProfileLock};
use crate::startup::{self, Startup, open_store};

/// How long this command waits for the process running the call to carry the action out.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

/// The arguments of `call-control`.
#[derive(Debug, Args)]
pub struct CallControlArgs {
    /// The call's id (as `history list` and the window show it).
    id: i64,
    #[command(subcommand)]
    action: ActionArg,
}

#[derive(Debug, Subcommand)]
enum ActionArg {
    /// Hang up: the call ends "ended by the dispatcher".
    End,
    /// Connect the callee to your own phone (the number in Settings); the agent leaves the call.
    TakeOver,
    /// Give the agent a note it follows from its next turn.
    Steer { text: String },
    /// Have the agent say a line next.
    Say { text: String },
}

impl ActionArg {
    fn action(&self) -> (ControlAction, &str) {
        match self {
            Self::End => (ControlAction::End, ""),
            Self::TakeOver => (ControlAction::TakeOver, ""),
            Self::Steer { text } => (ControlAction::Steer, text),
            Self::Say { text } => (ControlAction::Say, text),
        }
    }
}

pub fn run(args: CallControlArgs) -> Result<ExitCode, String> {
    let paths = DataPaths::resolve();
    let (action, text) = args.action.action();
    check_control_text(action, text)?;
    let call = CallId(args.id);
    match ProfileLock::acquire(&paths, Holder::CallControl) {
        Ok(_lock) => here(&paths, call, action, text),
        Err(held @ LockError::Held { .. }) => there(&paths, call, action, text, &held),
        Err(refused) => Err(refused.to_string()),
    }
}

/// No process runs calls: the engine is started here (calls a stopped process left are closed
/// first; a provider's calls stay open) and carries the action out.
fn here(paths: &DataPaths, call: CallId, action: ControlAction, text: &str) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    live_call(&store, call)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let startup = Startup::one_job(Arc::clone(&store), Arc::new(crate::keychain::Keychain::default()));
    let done = runtime.block_on(startup::run_job(paths, startup, |engine| async move {
        engine.control_call(call, action, text).await.map_err(|err| err.to_string())
    }))?;
    report(&done, "")
}

/// Another process holds the profile: the action is written as a request for it; its outcome
/// is awaited here.
fn there(
    paths: &DataPaths,
    call: CallId,
    action: ControlAction,
    text: &str,
    held: &LockError,
) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    live_call(&store, call)?;
    let text = match action {
        ControlAction::TakeOver => {
            dispatcher_phone(&store).map_err(|err| err.to_string())?.ok_or_else(|| NO_DISPATCHER_PHONE.to_owned())?
        }
        _ => text.trim().to_owned(),
    };
    let asked =
        store.insert_call_action(call, action, &text, ActionStatus::Pending, now()).map_err(|err| err.to_string())?;
    let deadline = Instant::now() + ANSWER_WITHIN;
    loop {
        let current = store.call_action(asked.id).map_err(|err| err.to_string())?.unwrap_or_else(|| asked.clone());
        if current.status.is_final() {
            return report(&current, &format!(" ({} runs the call)", held.who()));
        }
        if Instant::now() >= deadline {
            let taken =
                if current.status == ActionStatus::Pending { "has not taken it up" } else { "has not finished it" };
            return Err(format!(
                "asked {} to {} call {call}; it {taken} after {} s",
                held.who(),
                action.as_str(),
                ANSWER_WITHIN.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Refuses a call that does not exist or is over, before anything is asked.
fn live_call(store: &Store, call: CallId) -> Result<(), String> {
    let summary = store.call(call).map_err(|err| err.to_string())?.ok_or_else(|| format!("no call {call}"))?;
    if summary.state.is_terminal() {
        return Err(format!("call {call} is over ({})", summary.state.as_str()));
    }
    Ok(())
}

fn report(action: &CallAction, runs: &str) -> Result<ExitCode, String> {
    let said = action.action.describe(&action.text);
    match (action.status, &action.result) {
        (ActionStatus::Refused, why) => {
            Err(format!("call {}: could not do it ({said}): {}", action.call_id, why.as_deref().unwrap_or("refused")))
        }
        _ => {
            print(&format!("call {}: {said}{runs}\n", action.call_id));
            Ok(ExitCode::SUCCESS)
        }
    }
}
