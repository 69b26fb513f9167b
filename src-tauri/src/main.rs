//! Switchboard: the operator console for AI phone calls. With no arguments, opens the console.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
#[cfg(test)]
mod bindings;
mod commands;
mod console;
mod dto;
mod events;
mod logging;
mod paths;

fn main() -> std::process::ExitCode {
    if let Some(unknown) = std::env::args().nth(1) {
        eprintln!("switchboard: unknown command {unknown:?}; run `switchboard` with no arguments to open the console");
        return std::process::ExitCode::from(2);
    }
    app::run()
}
