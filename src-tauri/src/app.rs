//! Builds and runs the Tauri application.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tauri::{Manager as _, RunEvent};

use crate::console::Console;
use crate::keychain::Keychain;
use crate::listen_in::Listening;
use crate::paths::DataPaths;
use crate::playback::Speakers;
use crate::profile_lock::{Holder, LockError, ProfileLock};
use crate::team::link::{self, TeamLink};
use crate::{commands, events, logging, single_instance, window_calls};

/// How long a console started again ("Use this computer") waits for the one that started it to exit.
const RESTART_WAIT: Duration = Duration::from_secs(10);

/// Takes the profile; when the console that holds it is the one that started this one again,
/// waits for it to exit first.
fn take_profile(paths: &DataPaths) -> Result<ProfileLock, LockError> {
    let deadline = Instant::now() + RESTART_WAIT;
    loop {
        match ProfileLock::acquire(paths, Holder::Console) {
            Err(LockError::Held { pid: Some(pid), .. }) if Some(pid) == parent_pid() && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            taken => return taken,
        }
    }
}

#[cfg(unix)]
fn parent_pid() -> Option<u32> {
    Some(std::os::unix::process::parent_id())
}

#[cfg(not(unix))]
fn parent_pid() -> Option<u32> {
    None
}

/// Opens the console window and runs until it closes.
pub fn run() -> ExitCode {
    let paths = DataPaths::resolve();
    // The profile first: a console refused it writes nothing there, not even its log.
    let lock = take_profile(&paths);
    let _log_guard = if lock.is_ok() { logging::init(&paths.logs) } else { logging::init_stderr_only() };
    tracing::info!(data_dir = %paths.root.display(), version = env!("CARGO_PKG_VERSION"), "Switchboard starting");
    let keychain = Arc::new(Keychain::default());
    let instance = single_instance::plugin(&paths);
    // Signed in to a team server (its token still kept): no engine of its own.
    let team = link::saved(&paths.root).and_then(|connection| {
        let token = keychain.team_token(&commands::team::account(&connection));
        token
            .map_err(|err| tracing::warn!(error = %err, "the team server's token could not be read"))
            .ok()?
            .map(|token| (connection, token.expose().to_owned()))
    });
    let console = match &team {
        Some((connection, _)) => Console::signed_in(paths, lock, &connection.url),
        None => tauri::async_runtime::block_on(Console::start(paths, Arc::clone(&keychain), lock)),
    };
    let engine = console.engine.clone().ok();
    let started = engine.is_some() || team.is_some();
    let listening = Listening::new(engine.as_ref(), console.clients(), &console.monitor_forks);

    // The single-instance plugin first: a second console on this profile hands over to the
    // first (which comes to the front) before anything else is set up.
    let built = tauri::Builder::default()
        .plugin(instance)
        .plugin(tauri_plugin_dialog::init())
        .manage(console)
        .manage(keychain)
        .manage(listening)
        .manage(TeamLink::default())
        .manage(Speakers::from_settings(engine.as_ref().map(|engine| engine.store().as_ref())))
        .setup(move |app| {
            if let Some(engine) = &engine {
                events::forward(app.handle().clone(), engine);
            }
            if let Some((connection, token)) = team {
                let root = app.state::<Console>().paths.root.clone();
                tracing::info!(server = %connection.url, account = %connection.name, "signed in to a team server");
                if let Err(err) = app.state::<TeamLink>().connect(app.handle(), &root, connection, token) {
                    tracing::error!(error = %err.message, "the team server could not be linked");
                }
            }
            Ok(())
        })
        .invoke_handler(window_calls::handle)
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "the console window failed");
            eprintln!("switchboard: the console window failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            app.state::<Console>().stop();
        }
    });
    // The window said why the console could not start (another process has the profile).
    if started { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
