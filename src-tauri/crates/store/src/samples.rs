//! Sample data: the agents and contacts a new database starts with, written once.

use crate::db::params;

use crate::{Result, Store};

const SAMPLES_SEEDED: &str = "sample_data_seeded";

impl Store {
    /// Stores the sample agents and contacts in one transaction, the first time only.
    /// Returns whether anything was written.
    pub fn seed_samples_once(
        &self,
        agents: &[switchboard_core::AgentConfig],
        contacts: &[(switchboard_core::ContactFields, Option<switchboard_core::Phone>)],
        now: switchboard_core::UnixMillis,
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let seeded: Option<String> =
            tx.query_opt("SELECT value FROM meta WHERE key = ?1", params![SAMPLES_SEEDED], |row| row.get(0))?;
        if seeded.is_some() {
            return Ok(false);
        }
        for agent in agents {
            crate::agents::insert_agent(&mut tx, agent, now)?;
        }
        for (fields, phone) in contacts {
            crate::contacts::insert_contact(&mut tx, fields, phone.as_ref(), now)?;
        }
        tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![SAMPLES_SEEDED, now.0.to_string()])?;
        tx.commit()?;
        Ok(true)
    }
}
