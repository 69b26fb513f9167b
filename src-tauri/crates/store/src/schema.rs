//! Schema migrations (rusqlite_migration, versioned by SQLite's user_version).

use std::path::Path;
use std::sync::LazyLock;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{Result, StoreError};

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up_with_hook(include_str!("../migrations/0002_contacts.sql"), backfill_e164),
        M::up(include_str!("../migrations/0003_campaigns.sql")),
    ])
});

/// Version 2 stores each contact's phone in E.164; existing rows are normalised as US numbers
/// (the only region version 1 knew), and numbers that do not parse stay `NULL`.
fn backfill_e164(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    let phones: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, phone FROM contacts")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE contacts SET phone_e164 = ?2 WHERE id = ?1")?;
    for (id, phone) in phones {
        if let Ok(e164) = switchboard_core::normalize_phone(&phone, "US") {
            update.execute(rusqlite::params![id, e164])?;
        }
    }
    Ok(())
}

pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    MIGRATIONS.to_latest(conn).map_err(|source| StoreError::Migrate { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::MIGRATIONS.validate().unwrap();
    }
}
