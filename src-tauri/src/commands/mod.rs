//! The operations of the console (listed once in `operations`): thin calls into the engine and
//! store, errors mapped to `CommandError`.

pub mod agents;
pub mod analytics;
pub mod call_control;
pub mod calls;
pub mod campaigns;
pub mod connection;
pub mod contacts;
pub mod history;
pub mod keys;
pub mod listen_in;
pub mod listener;
pub mod playback;
pub mod rehearsals;
pub mod settings;
pub mod store_writes;
pub mod team;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use switchboard_engine::tables::ExportFormat;
use switchboard_engine::{Engine, ErrorCode};
use switchboard_store::{Store, StoreError};

use crate::console::Console;
use crate::dto::CommandError;

/// A command's answer.
pub type Reply<T> = Result<T, CommandError>;

/// The running engine, or why the console could not start.
pub fn engine(console: &Console) -> Reply<Arc<Engine>> {
    console.engine.clone().map_err(|reason| CommandError::new(ErrorCode::Storage, reason))
}

/// Runs store work off the async workers.
pub async fn with_store<T: Send + 'static, E: Into<CommandError> + Send + 'static>(
    console: &Console,
    work: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Reply<T> {
    on_store(Arc::clone(engine(console)?.store()), work).await
}

/// Runs work on `store` off the async workers.
pub async fn on_store<T: Send + 'static, E: Into<CommandError> + Send + 'static>(
    store: Arc<Store>,
    work: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Reply<T> {
    match tauri::async_runtime::spawn_blocking(move || work(&store)).await {
        Ok(result) => result.map_err(Into::into),
        Err(err) => Err(CommandError::new(ErrorCode::Storage, format!("the work did not finish: {err}"))),
    }
}

/// Reads on the store.
pub async fn query<T: Send + 'static>(
    console: &Console,
    read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Reply<T> {
    with_store(console, read).await
}

/// The format an export to `path` is written in, by the file name's extension: one of `offered`,
/// or `default` for a name with none of theirs.
pub fn export_format(path: &Path, offered: &[ExportFormat], default: Option<ExportFormat>) -> Reply<ExportFormat> {
    ExportFormat::for_path(path).filter(|format| offered.contains(format)).or(default).ok_or_else(|| {
        let extensions: Vec<String> = offered.iter().map(|format| format!(".{}", extension(*format))).collect();
        let choices = match extensions.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        CommandError::new(ErrorCode::InvalidInput, format!("cannot write {}: name the file {choices}", path.display()))
    })
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Json => "json",
        ExportFormat::Csv => "csv",
        ExportFormat::Text => "txt",
        ExportFormat::Xlsx => "xlsx",
    }
}

/// A file made by an export operation: its bytes, written to the chosen path by the console
/// (beside it, or across a team server), and the operation's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Export<T> {
    pub bytes: Vec<u8>,
    pub answer: T,
}

/// An export's bytes, or why it could not be made for `path` (named in the error).
pub fn export_bytes(path: &Path, export: Result<Vec<u8>, String>) -> Reply<Vec<u8>> {
    export.map_err(|reason| cannot_write(path, reason))
}

/// Writes an export's bytes to `path`; a failure names the path.
pub fn write_export(path: &Path, bytes: &[u8]) -> Reply<()> {
    std::fs::write(path, bytes).map_err(|err| cannot_write(path, err.to_string()))
}

fn cannot_write(path: &Path, reason: String) -> CommandError {
    CommandError::new(ErrorCode::InvalidInput, format!("cannot write {}: {reason}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: [ExportFormat; 3] = [ExportFormat::Csv, ExportFormat::Json, ExportFormat::Xlsx];

    #[test]
    fn an_export_takes_its_format_from_the_name_and_says_where_it_failed() {
        assert_eq!(export_format(Path::new("/tmp/Contacts.XLSX"), &TABLES, None).unwrap(), ExportFormat::Xlsx);
        assert_eq!(
            export_format(Path::new("/tmp/calls.csv"), &TABLES, Some(ExportFormat::Json)).unwrap(),
            ExportFormat::Csv
        );
        assert_eq!(
            export_format(Path::new("/tmp/calls"), &TABLES, Some(ExportFormat::Json)).unwrap(),
            ExportFormat::Json
        );
        let refused = export_format(Path::new("/tmp/contacts.txt"), &TABLES, None).unwrap_err();
        assert_eq!(refused.message, "cannot write /tmp/contacts.txt: name the file .csv, .json or .xlsx");

        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone/summary.xlsx");
        let failed = write_export(&missing, b"PK").unwrap_err();
        assert!(failed.message.starts_with(&format!("cannot write {}: ", missing.display())), "{}", failed.message);
        let failed = export_bytes(&dir.path().join("long.xlsx"), Err("a cell is too long".into())).unwrap_err();
        assert!(failed.message.ends_with("long.xlsx: a cell is too long"), "{}", failed.message);
    }
}
