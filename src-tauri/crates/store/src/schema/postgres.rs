//! Postgres migrations: each file of `migrations/postgres` runs once, in order, inside one
//! transaction that holds an advisory lock, so nodes opening one database at once apply each
//! migration exactly once (a node that waited finds them applied).

use crate::{Result, StoreError};

/// The migrations, in order; the first brings a new database to SQLite's schema version 24, each
/// after it matches one of SQLite's after that.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_schema.sql"),
    include_str!("../../migrations/postgres/0002_team_user_phone.sql"),
    include_str!("../../migrations/postgres/0003_nodes.sql"),
    include_str!("../../migrations/postgres/0004_inbox_claims.sql"),
    include_str!("../../migrations/postgres/0005_node_team_servers.sql"),
    include_str!("../../migrations/postgres/0006_recording_chunks.sql"),
    include_str!("../../migrations/postgres/0007_target_queue.sql"),
];

/// The advisory lock key the migration transaction holds ("switchbd" in ASCII).
const MIGRATION_LOCK: i64 = 0x7377_6974_6368_6264;

/// Brings the schema up to date; `database` names it in errors.
pub(crate) fn migrate(client: &mut postgres::Client, database: &str) -> Result<()> {
    let error = |source| StoreError::MigratePostgres { database: database.to_owned(), source };
    let mut tx = client.transaction().map_err(error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(error)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)").map_err(error)?;
    let applied: i64 =
        tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).map_err(error)?.get(0);
    for (version, sql) in (1_i64..).zip(MIGRATIONS).skip(usize::try_from(applied).unwrap_or(usize::MAX)) {
        tx.batch_execute(sql).map_err(error)?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).map_err(error)?;
    }
    tx.commit().map_err(error)
}
