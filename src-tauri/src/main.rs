//! Switchboard: the operator console for AI phone calls. With no arguments, opens the console;
//! with a subcommand, does that job headless (see `switchboard --help`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
#[cfg(test)]
mod bindings;
mod call_cli;
mod call_control_cli;
mod campaign_cli;
mod campaign_control;
mod cli;
mod commands;
mod console;
mod dto;
mod events;
mod history_cli;
mod keychain;
mod listen_in;
mod listener;
mod listener_address;
mod logging;
mod operations;
mod output;
mod paths;
mod playback;
mod profile_lock;
mod provider_api;
mod provider_set;
mod rehearse_cli;
mod serve;
mod single_instance;
mod startup;
mod team;
mod window_calls;

use clap::Parser;

fn main() -> std::process::ExitCode {
    match cli::Cli::parse().command {
        None => app::run(),
        Some(command) => cli::run(command),
    }
}
