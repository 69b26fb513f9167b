//! Switchboard's store: an SQLite file in the data directory (WAL, foreign keys) or a Postgres
//! database, migrations for each, and a repository method for each query the engine and console make.

mod agents;
mod analytics;
mod call_actions;
mod call_cost;
mod call_end;
mod call_record;
mod calls;
mod campaigns;
mod contacts;
mod db;
mod error;
mod forget;
mod gather;
mod history;
mod inbox;
mod mirror;
mod node_servers;
mod nodes;
mod offers;
mod recording_chunks;
mod rehearsals;
mod relay;
mod reviews;
mod samples;
mod schema;
mod search;
mod settings;
#[cfg(feature = "testing")]
pub mod summary;
mod target_queue;
mod team;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use backon::{BlockingRetryable, ExponentialBuilder};
use db::{Conn, ConnGuard, PgTarget, params};
use rusqlite::Connection;

pub use analytics::LatencyCounts;
pub use call_cost::RoundSpending;
pub use call_end::{CallEnded, CallProgress};
pub use call_record::ProviderFacts;
pub use calls::NewCall;
pub use campaigns::{BUDGET_REACHED, CampaignRow, Lease, Reservation, TargetRow};
pub use contacts::ContactWrite;
pub use db::pg_listen::ListenNotice;
#[cfg(feature = "failpoints")]
pub use error::injected_write_error;
pub use error::{StoreError, WriteFailure};
pub use forget::Forgotten;
pub use gather::GatherRow;
pub use history::HistoryHit;
pub use inbox::{InboxCounts, InboxInsert, NewWebhook, WebhookRow, WebhookWatch};
pub use mirror::MirroredCall;
pub use node_servers::RunningNode;
pub use nodes::{EndedNode, NewNode, NodeEnd, NodeRow, node_lease_owner};
pub use recording_chunks::{PendingUpload, RECORDING_CHUNK, RecordingPlace, StoredRecording, Uploaded};
pub use relay::{MAX_RELAYED_BYTES, RelaySender, RelayWatch};
pub use reviews::ReviewRow;
pub use search::{MATCH_END, MATCH_START, TranscriptHit};
pub use target_queue::{CallEnd, EndedTarget};
pub use team::TeamUser;

#[cfg(feature = "failpoints")]
#[doc(hidden)]
pub use fail;

/// A failpoint (compiled in only with the `failpoints` feature, which only tests enable): a test
/// crashes the process here (`panic`) or makes the write fail (`return(full)`, `return(busy)`,
/// `return(readonly)`, `return(constraint)`, else an I/O error).
#[cfg(feature = "failpoints")]
#[macro_export]
macro_rules! failpoint {
    ($name:literal) => {
        $crate::fail::fail_point!($name, |kind| Err($crate::injected_write_error(kind).into()))
    };
}

/// A failpoint; without the `failpoints` feature there is none.
#[cfg(not(feature = "failpoints"))]
#[macro_export]
macro_rules! failpoint {
    ($name:literal) => {};
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// The database. Cheap operations on one connection; share it behind an `Arc`.
pub struct Store {
    connections: Connections,
    path: PathBuf,
    /// Why writes fail now, as those who write last found (see [`Store::note_write`]).
    writes_failing: Mutex<Option<WriteFailure>>,
    /// The node this store's process registered as ([`Store::register_node`]), if it did.
    node: OnceLock<i64>,
}

/// Where a store's connections come from.
enum Connections {
    /// SQLite's one connection: SQLite writes one at a time anyway.
    Sqlite(Mutex<Conn>),
    /// A small pool of Postgres connections (see `db::pg_pool`), and where they connect.
    Postgres(r2d2::Pool<db::pg_pool::PgManager>, Box<PgTarget>),
}

impl Store {
    fn with_sqlite(conn: Connection, path: PathBuf) -> Store {
        Store {
            connections: Connections::Sqlite(Mutex::new(Conn::Sqlite(conn))),
            path,
            writes_failing: Mutex::default(),
            node: OnceLock::new(),
        }
    }

    /// Opens (creating if needed) the database at `path`: creates the parent directory, turns on
    /// WAL and foreign keys, and runs pending migrations. Every error names the path.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })?;
        }
        let open_error = |source| StoreError::Open { path: path.to_owned(), source };
        let opened = Connection::open(path).map_err(open_error).and_then(|mut conn| {
            configure(&conn).map_err(open_error)?;
            schema::sqlite::migrate(&mut conn, path)?;
            Ok(conn)
        });
        // SQLite says only "unable to open database file": find out whether the directory
        // cannot be written, and say so.
        let conn = opened.map_err(|err| match path.parent().and_then(error::unwritable_dir) {
            Some(cause) => StoreError::Unwritable { path: path.to_owned(), cause },
            None => err,
        })?;
        tracing::info!(path = %path.display(), "database open");
        Ok(Store::with_sqlite(conn, path.to_owned()))
    }

    /// A private in-memory database with the full schema, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let path = PathBuf::from(":memory:");
        let mut conn =
            Connection::open_in_memory().map_err(|source| StoreError::Open { path: path.clone(), source })?;
        configure(&conn).map_err(|source| StoreError::Open { path: path.clone(), source })?;
        schema::sqlite::migrate(&mut conn, &path)?;
        Ok(Store::with_sqlite(conn, path))
    }

    /// Connects to the Postgres database at `url` (`postgres://user@host:port/name`, or
    /// key=value pairs; TLS as `sslmode` says, trusting the system's roots and `sslrootcert`)
    /// and runs pending migrations. Errors name the database, never its password.
    pub fn open_postgres(url: &str) -> Result<Store> {
        let target = PgTarget::parse(url)?;
        let database = target.database.clone();
        let name = database.clone();
        let pool = db::pg_pool::open(target.clone(), BUSY_TIMEOUT, move |conn| match conn {
            Conn::Postgres(pg) => pg.with_client(move |client| schema::postgres::migrate(client, &name)),
            Conn::Sqlite(_) => unreachable!("a Postgres pool holds Postgres connections"),
        })?;
        tracing::info!(database, "database open");
        Ok(Store {
            connections: Connections::Postgres(pool, Box::new(target)),
            path: PathBuf::from(database),
            writes_failing: Mutex::default(),
            node: OnceLock::new(),
        })
    }

    /// Opens `location`: a Postgres URL (`postgres://` or `postgresql://`) or an SQLite file path.
    pub fn open_location(location: &str) -> Result<Store> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            Store::open_postgres(location)
        } else {
            Store::open(Path::new(location))
        }
    }

    /// Whether the database is shared by several processes (Postgres): then each registers as a
    /// node, and no start may close the calls it finds open (another node may run them).
    pub fn is_shared(&self) -> bool {
        matches!(self.connections, Connections::Postgres(..))
    }

    /// Where the database file is (for Postgres, its URL without the password).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records how a write ended (`None`: it worked) and returns the previous state, so the
    /// one who saw the change can say so.
    pub fn note_write(&self, failure: Option<WriteFailure>) -> Option<WriteFailure> {
        let mut failing = self.writes_failing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::replace(&mut *failing, failure)
    }

    /// Why writes fail now, if the last write failed for a passing reason.
    pub fn writes_failing(&self) -> Option<WriteFailure> {
        *self.writes_failing.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes a row that means nothing (when it was written) to learn whether writes work again.
    pub fn probe_write(&self, now: switchboard_core::UnixMillis) -> Result<()> {
        crate::failpoint!("write-probe");
        self.conn()?.execute(
            "INSERT INTO meta (key, value) VALUES ('last_write_probe', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![now.0.to_string()],
        )?;
        Ok(())
    }

    /// A connection for one operation: SQLite's, or one from the Postgres pool (waiting for
    /// one to come free, or be made, for the busy timeout at most).
    fn conn(&self) -> Result<ConnGuard<'_>> {
        match &self.connections {
            // A panic while holding the lock cannot leave SQLite half-written (statements are
            // atomic), so a poisoned lock is still safe to use.
            Connections::Sqlite(conn) => {
                Ok(ConnGuard::Sqlite(conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())))
            }
            Connections::Postgres(pool, _) => pool
                .get()
                .map(ConnGuard::Postgres)
                .map_err(|error| db::pg_pool::no_connection(&self.path.to_string_lossy(), &error)),
        }
    }
}

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept (the store has about a hundred distinct statements).
const STATEMENT_CACHE: usize = 128;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // First, so that every step below (switching a new file to WAL, migrating it) waits for
    // another process opening the same file instead of failing with "database is locked".
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode reads the file header, so a file that is not SQLite fails here, at open.
    // Openers switching one new file to WAL at once deadlock (each holds the read lock the
    // others wait on), which SQLite breaks by failing all but one at once: those try again.
    let switch_to_wal = || conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get::<_, String>(0));
    let mode = switch_to_wal
        .retry(
            ExponentialBuilder::new()
                .with_min_delay(Duration::from_millis(2))
                .with_max_delay(Duration::from_millis(50))
                .with_jitter()
                .with_total_delay(Some(BUSY_TIMEOUT))
                .without_max_times(),
        )
        .when(|error| error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy))
        .call()?;
    if mode != "wal" && mode != "memory" {
        tracing::warn!(mode, "SQLite refused WAL mode");
    }
    // Room for every statement the store runs, so none is parsed twice (see `cached`); plans
    // that do not depend on the values bound, so a cached statement is not parsed again when
    // they change (the inbox's `id > ?1` was, on every pass).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
}
