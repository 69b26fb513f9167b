//! Builds and runs the Tauri application.

use std::process::ExitCode;

use crate::console::Console;
use crate::paths::DataPaths;
use crate::{commands, events, logging};

/// Opens the console window and runs until it closes.
pub fn run() -> ExitCode {
    let paths = DataPaths::resolve();
    let _log_guard = logging::init(&paths.logs);
    tracing::info!(data_dir = %paths.root.display(), version = env!("CARGO_PKG_VERSION"), "Switchboard starting");
    let console = tauri::async_runtime::block_on(Console::start(paths));
    let engine = console.engine.clone().ok();

    let result = tauri::Builder::default()
        .manage(console)
        .setup(move |app| {
            if let Some(engine) = &engine {
                events::forward(app.handle().clone(), engine);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_agents,
            commands::list_contacts,
            commands::list_calls,
            commands::list_offers,
            commands::call_detail,
            commands::start_call,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "the console window failed");
            eprintln!("switchboard: the console window failed: {err}");
            ExitCode::FAILURE
        }
    }
}
