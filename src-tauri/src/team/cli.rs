//! `switchboard team`: the accounts that sign in to this profile's team server.

use std::io::BufRead as _;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use switchboard_store::Store;

use super::accounts;
use crate::operations::Role;
use crate::paths::DataPaths;

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Add an account that signs in to this profile's team server (`serve --team`), or give an
    /// existing one a new role and password. The password is read from standard input.
    AddUser {
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The team's shared database (`postgres://…`), as its nodes are started with
        /// `serve --database`. Without: this profile's own.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

/// A role as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Reads calls, contacts, campaigns, history and analytics.
    Viewer,
    /// Places calls and runs campaigns; edits contacts and agents.
    Dispatcher,
    /// Everything, with keys and settings.
    Admin,
}

/// Runs a `team` subcommand.
pub fn run(command: TeamCommand) -> Result<ExitCode, String> {
    match command {
        TeamCommand::AddUser { name, role, database } => {
            let role = match role {
                RoleArg::Viewer => Role::Viewer,
                RoleArg::Dispatcher => Role::Dispatcher,
                RoleArg::Admin => Role::Admin,
            };
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .map_err(|err| format!("cannot read the password: {err}"))?;
            let password = password.trim_end_matches(['\r', '\n']);
            let store = match database {
                Some(url) => Store::open_location(&url),
                None => Store::open(&DataPaths::resolve().database),
            };
            let store = store.map_err(|err| err.to_string())?;
            accounts::add_user(&store, &name, role, password)?;
            eprintln!("switchboard: {name} can sign in as a {}", role.as_str());
            Ok(ExitCode::SUCCESS)
        }
    }
}
