//! Schema migrations: SQLite's through rusqlite_migration, Postgres's through the runner in
//! [`postgres`]; both reach the same tables, constraints and triggers.

pub(crate) mod postgres;
pub(crate) mod sqlite;
