//! Dispatcher settings kept in the database (never secrets: those live in the OS keychain).

use crate::db::params;

use crate::{Result, Store};

impl Store {
    /// A setting's value, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn()?.query_opt("SELECT value FROM settings WHERE key = ?1", params![key], |row| row.get(0))
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.set_settings(&[(key, value)])
    }

    /// Sets several settings in one transaction: all of them are written, or none.
    pub fn set_settings(&self, values: &[(&str, &str)]) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        for (key, value) in values {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
