//! Store errors. Each one says what failed and, for the file itself, where.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database at {}: {source}", path.display())]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot open the database at {}: {cause}", path.display())]
    Unwritable { path: PathBuf, cause: WriteFailure },
    #[error("cannot bring the database at {} up to date: {source}", path.display())]
    Migrate { path: PathBuf, source: rusqlite_migration::Error },
    #[error("cannot connect to {database}: {}", postgres_detail(source))]
    Connect { database: String, source: postgres::Error },
    #[error("cannot connect to {database}: {reason}")]
    Unreachable { database: String, reason: String },
    #[error("cannot set up TLS to {database}: {reason}")]
    Tls { database: String, reason: String },
    #[error("cannot bring {database} up to date: {}", postgres_detail(source))]
    MigratePostgres { database: String, source: postgres::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", postgres_detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("the database returned no row for {0}")]
    NoRow(String),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("cannot read the recording of call {call} to store it: {source}")]
    RecordingUnreadable { call: i64, source: std::io::Error },
    #[error("{0} not found")]
    NotFound(String),
    /// This process's node was found dead by another node, which closed its calls and took its
    /// leases: it may write nothing more about them.
    #[error("node {0} was declared dead by another node; it takes no more work")]
    Fenced(i64),
}

/// Why the database could not be written: conditions that pass (space is freed, the other
/// writer lets go, the directory is made writable again), so the write is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFailure {
    /// The disk (or the file system holding the database) is full.
    DiskFull,
    /// Another connection or process holds the write lock past the busy timeout.
    Locked,
    /// The file or its directory is read-only.
    ReadOnly,
    /// The operating system failed the read or write.
    Io,
    /// The database server cannot be reached, or dropped the connection (it restarts).
    Unreachable,
}

impl WriteFailure {
    /// The failure an SQLite error code means, if it is one.
    fn of(code: rusqlite::ErrorCode) -> Option<WriteFailure> {
        use rusqlite::ErrorCode as E;
        match code {
            E::DiskFull => Some(WriteFailure::DiskFull),
            E::DatabaseBusy | E::DatabaseLocked => Some(WriteFailure::Locked),
            E::ReadOnly => Some(WriteFailure::ReadOnly),
            E::SystemIoFailure | E::CannotOpen => Some(WriteFailure::Io),
            _ => None,
        }
    }

    /// The failure a Postgres error means, if it is one: a full disk, a lock or serialization
    /// conflict that outlasted the lock timeout, a read-only server, or a lost connection.
    fn of_postgres(error: &postgres::Error) -> Option<WriteFailure> {
        use postgres::error::SqlState as S;
        let Some(code) = error.code() else {
            return (error.is_closed() || lost_connection(error)).then_some(WriteFailure::Unreachable);
        };
        match code {
            c if *c == S::DISK_FULL => Some(WriteFailure::DiskFull),
            c if *c == S::T_R_SERIALIZATION_FAILURE
                || *c == S::T_R_DEADLOCK_DETECTED
                || *c == S::LOCK_NOT_AVAILABLE
                || *c == S::TOO_MANY_CONNECTIONS =>
            {
                Some(WriteFailure::Locked)
            }
            c if *c == S::READ_ONLY_SQL_TRANSACTION => Some(WriteFailure::ReadOnly),
            c if *c == S::IO_ERROR => Some(WriteFailure::Io),
            c if *c == S::ADMIN_SHUTDOWN || *c == S::CRASH_SHUTDOWN || *c == S::CANNOT_CONNECT_NOW => {
                Some(WriteFailure::Unreachable)
            }
            _ => None,
        }
    }

    /// What to tell the dispatcher, naming the database file.
    pub fn message(self, path: &Path) -> String {
        format!("cannot write to {}: {self}", path.display())
    }
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteFailure::DiskFull => "disk full",
            WriteFailure::Locked => "the database is locked by another program",
            WriteFailure::ReadOnly => "the data directory is read-only",
            WriteFailure::Io => "the disk reported an I/O error",
            WriteFailure::Unreachable => "the database server cannot be reached",
        })
    }
}

impl StoreError {
    /// `error` of the Postgres `database`: a lost server as [`StoreError::Unreachable`] naming
    /// it (the driver's own text does not), anything else as it is.
    pub(crate) fn from_postgres(error: postgres::Error, database: &str) -> StoreError {
        match WriteFailure::of_postgres(&error) {
            Some(WriteFailure::Unreachable) => {
                StoreError::Unreachable { database: database.to_owned(), reason: postgres_detail(&error) }
            }
            _ => StoreError::Postgres(error),
        }
    }

    /// The passing condition that made a write fail, if that is what this error is (else the
    /// error is the request's own: retrying it would fail the same way).
    pub fn write_failure(&self) -> Option<WriteFailure> {
        match self {
            StoreError::Sqlite(source) | StoreError::Open { source, .. } => {
                source.sqlite_error_code().and_then(WriteFailure::of)
            }
            StoreError::Postgres(source)
            | StoreError::Connect { source, .. }
            | StoreError::MigratePostgres { source, .. } => WriteFailure::of_postgres(source),
            StoreError::Unwritable { cause, .. } => Some(*cause),
            StoreError::Unreachable { .. } => Some(WriteFailure::Unreachable),
            _ => None,
        }
    }
}

/// Whether the connection itself failed: refused, reset, timed out or cut (not a TLS refusal,
/// which stays refused until the configuration changes).
fn lost_connection(error: &postgres::Error) -> bool {
    use std::io::ErrorKind as K;
    let io = std::error::Error::source(error).and_then(|source| source.downcast_ref::<std::io::Error>());
    io.is_some_and(|io| {
        matches!(
            io.kind(),
            K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::TimedOut
                | K::NotConnected
                | K::HostUnreachable
                | K::NetworkUnreachable
        )
    })
}

/// Why files cannot be created in `dir` (read-only, full), if they cannot: tried with a file
/// of its own, removed at once.
pub(crate) fn unwritable_dir(dir: &Path) -> Option<WriteFailure> {
    let probe = dir.join(format!(".switchboard-write-check-{}", std::process::id()));
    let created = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe);
    match created {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(err) => match err.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                Some(WriteFailure::ReadOnly)
            }
            std::io::ErrorKind::StorageFull => Some(WriteFailure::DiskFull),
            _ => None,
        },
    }
}

/// The error SQLite gives for a write that fails as `kind` says (`full`, `busy`, `readonly`,
/// `constraint`, else an I/O error): what a failpoint returns to fake a full disk, a held lock,
/// or a write the database refuses for good.
#[cfg(feature = "failpoints")]
pub fn injected_write_error(kind: Option<String>) -> StoreError {
    let code = match kind.as_deref() {
        Some("full") => rusqlite::ffi::SQLITE_FULL,
        Some("busy") => rusqlite::ffi::SQLITE_BUSY,
        Some("readonly") => rusqlite::ffi::SQLITE_READONLY,
        Some("constraint") => rusqlite::ffi::SQLITE_CONSTRAINT,
        _ => rusqlite::ffi::SQLITE_IOERR,
    };
    StoreError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None))
}

/// What Postgres said, with its detail when it gave one (the driver's own text says only "db error").
fn postgres_detail(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            // The driver's text names the step ("error performing TLS handshake"); its causes say why.
            let mut text = error.to_string();
            let mut cause = std::error::Error::source(error);
            while let Some(inner) = cause {
                let said = inner.to_string();
                if !text.contains(&said) {
                    text.push_str(": ");
                    text.push_str(&said);
                }
                cause = inner.source();
            }
            text
        }
    }
}
