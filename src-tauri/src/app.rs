//! Builds and runs the Tauri application.

use std::process::ExitCode;
use std::sync::Arc;

use tauri::{Manager as _, RunEvent};

use crate::console::Console;
use crate::keychain::Keychain;
use crate::listen_in::Listening;
use crate::paths::DataPaths;
use crate::playback::Speakers;
use crate::profile_lock::{Holder, ProfileLock};
use crate::{events, logging, single_instance, window_calls};

/// Opens the console window and runs until it closes.
pub fn run() -> ExitCode {
    let paths = DataPaths::resolve();
    // The profile first: a console refused it writes nothing there, not even its log.
    let lock = ProfileLock::acquire(&paths, Holder::Console);
    let _log_guard = if lock.is_ok() { logging::init(&paths.logs) } else { logging::init_stderr_only() };
    tracing::info!(data_dir = %paths.root.display(), version = env!("CARGO_PKG_VERSION"), "Switchboard starting");
    let keychain = Arc::new(Keychain::default());
    let instance = single_instance::plugin(&paths);
    let console = tauri::async_runtime::block_on(Console::start(paths, Arc::clone(&keychain), lock));
    let engine = console.engine.clone().ok();
    let started = engine.is_some();
    let listening = Listening::new(engine.as_ref(), console.clients(), &console.monitor_forks);

    // The single-instance plugin first: a second console on this profile hands over to the
    // first (which comes to the front) before anything else is set up.
    let built = tauri::Builder::default()
        .plugin(instance)
        .plugin(tauri_plugin_dialog::init())
        .manage(console)
        .manage(keychain)
        .manage(listening)
        .manage(Speakers::from_settings(engine.as_ref().map(|engine| engine.store().as_ref())))
        .setup(move |app| {
            if let Some(engine) = &engine {
                events::forward(app.handle().clone(), engine);
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
