//! The headless side of the one `switchboard` binary: the same engine and database from the
//! command line. No subcommand opens the console window.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use switchboard_core::ContactKind;
use switchboard_engine::contacts::{ImportOptions, import_contacts};
use switchboard_engine::settings::default_region;
use switchboard_store::Store;

use crate::paths::DataPaths;
use crate::{campaign_cli, campaign_control};

/// Switchboard: the operator console for AI phone calls.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with contacts (vendors and drivers).
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
    /// Place one call with an action and context, and print its transcript as it happens.
    Call(crate::call_cli::CallArgs),
    /// Run the whole engine without a window until Ctrl-C: the webhook listener (printing the
    /// URLs for each provider), campaigns, reconcilers, retention; keys from the environment or
    /// the keychain. `listen` is the same.
    #[command(alias = "listen")]
    Serve(crate::serve::ServeArgs),
    /// Run and review campaigns.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Act on a call on the line: end it, hand it to your phone (Settings), give its agent a
    /// note, or have the agent say a line. Reaches the console or `serve` running the call.
    CallControl(crate::call_control_cli::CallControlArgs),
    /// Rehearse an agent against its suite of scenarios (on the simulator, in text with the
    /// agent's own model turn, or at its hosted provider); exits non-zero when any scenario fails.
    Rehearse(crate::rehearse_cli::RehearseArgs),
    /// Search and export past calls.
    History {
        #[command(subcommand)]
        command: crate::history_cli::HistoryCommand,
    },
    /// The accounts of a team server (`serve --team`).
    Team {
        #[command(subcommand)]
        command: crate::team::cli::TeamCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Import the contacts in FILE and run a campaign over them to its summary.
    Run(Box<crate::campaign_cli::RunArgs>),
    /// List the campaigns in the database.
    List,
    /// Show one campaign: its targets per round and its summary.
    Show {
        id: i64,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pause a campaign: no new call starts; calls on the line finish. Whatever process runs it
    /// (the console, a `campaign run`) sees it at its next step.
    Pause { id: i64 },
    /// Resume a paused campaign, or one a stopped process left running. When no other process
    /// has this profile, runs it here to its summary.
    Resume {
        id: i64,
        /// A new budget in US dollars, above what the campaign spent (a campaign paused because
        /// its budget was reached goes on with this one).
        #[arg(long)]
        budget: Option<f64>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        run: crate::campaign_cli::RunOn,
    },
    /// Cancel a campaign: contacts not called yet are not called. Its calls on the line finish,
    /// unless --end-calls.
    Cancel {
        id: i64,
        /// End the campaign's calls on the line now (where their backend can) instead of
        /// letting them finish.
        #[arg(long)]
        end_calls: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Import contacts from a CSV, JSON or spreadsheet file; prints a report per row and exits
    /// non-zero when any row was rejected.
    Import {
        /// The file to import (.csv, .json, .xlsx, .xls or .ods).
        file: PathBuf,
        /// The sheet of a workbook to read (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Treat every row as this kind (otherwise a `kind` column or the columns decide).
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Check and report without saving anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Region for numbers without a country code (default: the console's setting, else US).
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Drivers,
    Vendors,
}

/// Runs a headless command.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Call(args) => crate::call_cli::run(args),
        Command::Rehearse(args) => crate::rehearse_cli::run(args),
        Command::Serve(args) => crate::serve::run(args),
        Command::Campaign { command } => run_campaign_command(command),
        Command::History { command } => crate::history_cli::run(command),
        Command::CallControl(args) => crate::call_control_cli::run(args),
        Command::Team { command } => crate::team::cli::run(command),
        Command::Contacts { command: ContactsCommand::Import { file, sheet, kind, dry_run, json, region } } => {
            import_file(&file, sheet, kind, dry_run, json, region)
        }
    };
    result.unwrap_or_else(|message| {
        eprintln!("switchboard: {message}");
        ExitCode::from(2)
    })
}

/// Runs a campaign subcommand.
fn run_campaign_command(command: CampaignCommand) -> Result<ExitCode, String> {
    let paths = DataPaths::resolve();
    match command {
        CampaignCommand::Run(args) => campaign_cli::run(&paths, *args),
        CampaignCommand::List => campaign_cli::list(&paths),
        CampaignCommand::Show { id, json } => campaign_cli::show(&paths, id, json),
        CampaignCommand::Pause { id } => campaign_control::pause(&paths, id),
        CampaignCommand::Resume { id, budget, json, run } => campaign_control::resume(&paths, id, budget, json, &run),
        CampaignCommand::Cancel { id, end_calls } => campaign_control::cancel(&paths, id, end_calls),
    }
}

fn import_file(
    file: &PathBuf,
    sheet: Option<String>,
    kind: Option<KindArg>,
    dry_run: bool,
    json: bool,
    region: Option<String>,
) -> Result<ExitCode, String> {
    let data = std::fs::read(file).map_err(|err| format!("cannot read {}: {err}", file.display()))?;
    let paths = DataPaths::resolve();
    let store = Store::open(&paths.database).map_err(|err| err.to_string())?;
    let region = match region {
        Some(region) => region,
        None => default_region(&store).map_err(|err| err.to_string())?,
    };
    let kind = kind.map(|kind| match kind {
        KindArg::Drivers => ContactKind::Driver,
        KindArg::Vendors => ContactKind::Vendor,
    });
    let options = ImportOptions { kind, dry_run, region, sheet };
    let report =
        import_contacts(&store, &file.display().to_string(), &data, &options).map_err(|err| err.to_string())?;
    let out = if json {
        serde_json::to_string_pretty(&report).map_err(|err| err.to_string())? + "\n"
    } else {
        report.to_text()
    };
    // The report is the command's output.
    #[allow(clippy::print_stdout)]
    {
        print!("{out}");
    }
    Ok(if report.rejected > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
