//! Why a contacts file could not be imported at all (row problems are in the report instead).

use switchboard_store::StoreError;

use crate::tables::WorkbookError;

/// Why a file could not be read at all (row problems are in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a spreadsheet, CSV or JSON file: {source_name}")]
    NotATable { source_name: String },
    #[error("{source_name} has no rows")]
    NoRows { source_name: String },
    #[error("{source_name}: {error}")]
    Workbook { source_name: String, error: WorkbookError },
    #[error("{source_name} is not valid JSON: {detail}")]
    Json { source_name: String, detail: String },
    #[error("{source_name}: expected a JSON list of contacts (or {{\"contacts\": [...]}})")]
    JsonShape { source_name: String },
    #[error("{source_name} has no header row")]
    NoHeader { source_name: String },
    /// The database could not be written for a passing reason (held lock, full disk, read-only
    /// directory) for longer than the import waits; the message names the database.
    #[error("{0}; nothing was imported")]
    Unwritable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
