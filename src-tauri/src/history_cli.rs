//! `switchboard history`: search every transcript and export a call or a campaign from the
//! command line, over the same database as the console.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use switchboard_core::{CallFilter, CallId};
use switchboard_engine::history::{export_call, export_campaign};
use switchboard_engine::tables::ExportFormat;
use switchboard_store::{MATCH_END, MATCH_START, Store};

use crate::paths::DataPaths;

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Print the transcript lines matching TEXT (words match as prefixes; "quoted words" as a
    /// phrase), newest calls first, the matched words in [brackets].
    Search {
        text: String,
        /// Only calls with a contact whose name or number contains this.
        #[arg(long)]
        contact: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Write one call (`--call`) or a whole campaign (`--campaign`) as JSON, CSV, .xlsx or a
    /// readable transcript, to a file or standard output.
    Export {
        #[arg(long, conflicts_with = "campaign", required_unless_present = "campaign")]
        call: Option<i64>,
        #[arg(long)]
        campaign: Option<i64>,
        #[arg(long, value_enum, default_value = "json")]
        format: FormatArg,
        /// Where to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Json,
    Csv,
    Xlsx,
    Text,
}

/// Runs a history command.
pub fn run(command: HistoryCommand) -> Result<ExitCode, String> {
    let store = Store::open(&DataPaths::resolve().database).map_err(|err| err.to_string())?;
    let output = match command {
        HistoryCommand::Search { text, contact, limit } => {
            let filter = CallFilter { contact_text: contact, ..CallFilter::default() };
            let hits = store.history_search(&filter, &text, limit).map_err(|err| err.to_string())?;
            let mut out = String::new();
            for hit in &hits {
                let line = hit.snippet.replace(MATCH_START, "[").replace(MATCH_END, "]");
                out.push_str(&format!("call {} line {} ({}): {line}\n", hit.call.id, hit.seq, hit.call.contact_name));
            }
            out.push_str(&format!("{} matching lines\n", hits.len()));
            out.into_bytes()
        }
        HistoryCommand::Export { call, campaign, format, out } => {
            let format = match format {
                FormatArg::Json => ExportFormat::Json,
                FormatArg::Csv => ExportFormat::Csv,
                FormatArg::Xlsx => ExportFormat::Xlsx,
                FormatArg::Text => ExportFormat::Text,
            };
            let bytes = match (call, campaign) {
                (Some(call), _) => export_call(&store, CallId(call), format),
                (None, Some(campaign)) => export_campaign(&store, campaign, format),
                (None, None) => return Err("say which call (--call ID) or campaign (--campaign ID)".into()),
            }
            .map_err(|err| err.to_string())?;
            if let Some(path) = out {
                std::fs::write(&path, bytes).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
                return Ok(ExitCode::SUCCESS);
            }
            bytes
        }
    };
    std::io::stdout().lock().write_all(&output).map_err(|err| err.to_string())?;
    Ok(ExitCode::SUCCESS)
}
