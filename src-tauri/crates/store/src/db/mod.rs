//! Our thin connection layer over rusqlite and the synchronous `postgres` client: statements
//! are written once with `?N` placeholders, bound with [`params!`], and read through [`Row`].

mod pg;
pub(crate) mod pg_listen;
pub(crate) mod pg_pool;
mod pg_target;
mod sqlite;
mod value;

use std::ops::{Deref, DerefMut};
use std::sync::MutexGuard;

pub(crate) use pg::PgConn;
pub(crate) use pg_target::PgTarget;
pub(crate) use value::{FromValue, ToValue, Value};

use crate::{Result, StoreError};

/// Which database a connection speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The parameters of a statement, in order: `params![a, b]` binds `?1` to `a` and `?2` to `b`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::ToValue::to_value(&$value)),*] as &[$crate::db::Value]
    };
}
pub(crate) use params;

/// What runs a statement: a connection, or (for a migration's backfill) SQLite's own transaction.
pub(crate) trait Execute {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize>;
}

impl Execute for Conn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        Conn::execute(self, sql, params)
    }
}

impl Execute for &rusqlite::Connection {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        Ok(self.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?)
    }
}

/// One open connection, to SQLite or to Postgres.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

/// A connection lent to one store operation: SQLite's one connection, or one of the pool's.
pub(crate) enum ConnGuard<'s> {
    Sqlite(MutexGuard<'s, Conn>),
    Postgres(pg_pool::PooledPg),
}

impl Deref for ConnGuard<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match self {
            ConnGuard::Sqlite(conn) => conn,
            ConnGuard::Postgres(conn) => conn,
        }
    }
}

impl DerefMut for ConnGuard<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        match self {
            ConnGuard::Sqlite(conn) => conn,
            ConnGuard::Postgres(conn) => conn,
        }
    }
}

/// A row being read: its columns are read by position.
pub(crate) enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `index` as text lent to `read` (on SQLite without a copy).
    pub(crate) fn with_text<T>(&self, index: usize, read: impl FnOnce(&str) -> Result<T>) -> Result<T> {
        match self {
            Row::Sqlite(row) => read(row.get_ref(index)?.as_str().map_err(rusqlite::Error::from)?),
            Row::Postgres(row) => read(row.try_get::<_, &str>(index)?),
        }
    }

    /// Column `index`, converted as SQLite would.
    pub(crate) fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let value = match self {
            Row::Sqlite(row) => T::from_sqlite(row.get_ref(index)?),
            Row::Postgres(row) => T::from_value(pg::column(row, index)?),
        };
        value.map_err(|err| match err {
            StoreError::Corrupt(why) => StoreError::Corrupt(format!("column {index}: {why}")),
            other => other,
        })
    }
}

impl Conn {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; returns how many rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?),
            Conn::Postgres(conn) => Ok(usize::try_from(conn.execute(sql, params)?).unwrap_or(usize::MAX)),
        }
    }

    /// Reads the first row of a query, if it has one.
    pub(crate) fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                rows.next()?.map(|row| read(&Row::Sqlite(row))).transpose()
            }
            Conn::Postgres(conn) => {
                let rows = conn.query(sql, params)?;
                rows.first().map(|row| read(&Row::Postgres(row))).transpose()
            }
        }
    }

    /// Reads the first row of a query that always returns one.
    pub(crate) fn query_row<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, read)?.ok_or_else(|| StoreError::NoRow(first_line(sql)))
    }

    /// Reads every row of a query.
    pub(crate) fn query_map<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        mut read: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(read(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            Conn::Postgres(conn) => {
                let rows = conn.query(sql, params)?;
                rows.iter().map(|row| read(&Row::Postgres(row))).collect()
            }
        }
    }

    /// Runs statements without parameters, separated by semicolons.
    pub(crate) fn execute_batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(conn) => conn.batch_execute(sql),
        }
    }

    /// Whether each commit waits until it is on disk (SQLite's `synchronous = FULL`) or only
    /// until it is safe from the app being killed (`NORMAL`, the default). Postgres always waits.
    pub(crate) fn sync_each_commit(&mut self, full: bool) -> Result<()> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.pragma_update(None, "synchronous", if full { "FULL" } else { "NORMAL" })?),
            Conn::Postgres(_) => Ok(()),
        }
    }

    /// Begins a transaction, rolled back unless committed.
    pub(crate) fn transaction(&mut self) -> Result<Tx<'_>> {
        self.execute_batch("BEGIN")?;
        Ok(Tx { conn: self, open: true })
    }

    /// Begins a savepoint inside the current transaction, rolled back unless released.
    pub(crate) fn savepoint(&mut self) -> Result<Savepoint<'_>> {
        self.execute_batch("SAVEPOINT nested")?;
        Ok(Savepoint { conn: self, open: true })
    }
}

fn first_line(sql: &str) -> String {
    sql.trim().lines().next().unwrap_or_default().to_owned()
}

/// A transaction: commit it, or it rolls back when dropped.
pub(crate) struct Tx<'c> {
    conn: &'c mut Conn,
    open: bool,
}

impl Tx<'_> {
    pub(crate) fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("COMMIT")
    }
}

impl Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A connection that cannot roll back is broken, and its next statement says so.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A savepoint: commit it, or it rolls back (and the transaction goes on) when dropped.
pub(crate) struct Savepoint<'c> {
    conn: &'c mut Conn,
    open: bool,
}

impl Savepoint<'_> {
    pub(crate) fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("RELEASE nested")
    }

    pub(crate) fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("ROLLBACK TO nested; RELEASE nested")
    }
}

impl Deref for Savepoint<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl DerefMut for Savepoint<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK TO nested; RELEASE nested");
        }
    }
}
