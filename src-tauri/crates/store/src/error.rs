//! Store errors. Each one says what failed and, for the file itself, where.

use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database at {}: {source}", path.display())]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot bring the database at {} up to date: {source}", path.display())]
    Migrate { path: PathBuf, source: rusqlite_migration::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("{0} not found")]
    NotFound(String),
}
