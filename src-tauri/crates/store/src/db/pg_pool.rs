//! The Postgres store's connections: a small r2d2 pool of [`PgConn`]s, so one slow query does not
//! hold up the others, and a connection the server dropped (a restart) is replaced by a new one.
//!
//! Not `r2d2_postgres`: its connections are the driver's clients used on the caller's thread,
//! which the driver forbids inside the engine's async runtime; ours each run on their own thread.

use std::time::Duration;

use r2d2::{HandleError, ManageConnection, Pool, PooledConnection};

use super::pg_target::PgTarget;
use super::{Conn, PgConn};
use crate::{Result, StoreError};

/// Connections one store opens at most.
const POOL_SIZE: u32 = 4;

/// Makes and checks the pool's connections.
pub(crate) struct PgManager {
    target: PgTarget,
    /// How long a statement waits for another's lock (Postgres's `lock_timeout`).
    lock_timeout: Duration,
}

/// A connection lent by the pool, given back when dropped.
pub(crate) type PooledPg = PooledConnection<PgManager>;

impl ManageConnection for PgManager {
    type Connection = Conn;
    type Error = StoreError;

    fn connect(&self) -> Result<Conn> {
        let (database, lock_timeout) = (self.target.database.clone(), self.lock_timeout.as_millis());
        let setup = move |client: &mut postgres::Client| {
            // Like SQLite's busy timeout: a statement waits this long for another's lock, then
            // fails as a passing condition (see `WriteFailure::Locked`).
            client
                .batch_execute(&format!("SET lock_timeout = {lock_timeout}"))
                .map_err(|source| StoreError::Connect { database, source })
        };
        Ok(Conn::Postgres(Box::new(PgConn::connect(&self.target, setup)?)))
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<()> {
        conn.execute_batch("")
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        matches!(conn, Conn::Postgres(pg) if pg.is_broken())
    }
}

/// Logs why a connection could not be made (the pool tries again).
#[derive(Debug)]
struct LogConnectErrors;

impl HandleError<StoreError> for LogConnectErrors {
    fn handle_error(&self, error: StoreError) {
        tracing::warn!(%error, "cannot connect to the database; trying again");
    }
}

/// The pool of `target`: first one connection is made here, so that a database that cannot be
/// reached or trusted fails with its own error, and `first` runs on it (the migrations); the
/// rest are made when needed. Taking a connection waits `wait` at most.
pub(crate) fn open(
    target: PgTarget,
    wait: Duration,
    first: impl FnOnce(&mut Conn) -> Result<()>,
) -> Result<Pool<PgManager>> {
    let manager = PgManager { target, lock_timeout: wait };
    first(&mut manager.connect()?)?;
    Ok(Pool::builder()
        .max_size(POOL_SIZE)
        .min_idle(Some(1))
        .connection_timeout(wait)
        // A connection is checked when it comes back (see `has_broken`), not on each loan.
        .test_on_check_out(false)
        .error_handler(Box::new(LogConnectErrors))
        .build_unchecked(manager))
}

/// What taking a connection from the pool failed on: none came free and none could be made.
pub(crate) fn no_connection(database: &str, error: &r2d2::Error) -> StoreError {
    StoreError::Unreachable { database: database.to_owned(), reason: error.to_string() }
}
