//! Agent repository.

use crate::db::{Conn, Row, params};
use switchboard_core::{Agent, AgentConfig, AgentId, UnixMillis};

use crate::{Result, Store, StoreError};

impl Store {
    /// Stores a new agent; names are unique.
    pub fn insert_agent(&self, config: &AgentConfig, now: UnixMillis) -> Result<AgentId> {
        insert_agent(&mut *self.conn()?, config, now)
    }

    /// Replaces an agent's configuration.
    pub fn update_agent(&self, id: AgentId, config: &AgentConfig) -> Result<()> {
        let json = serde_json::to_string(config).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let changed = self.conn()?.execute(
            "UPDATE agents SET name = ?2, backend = ?3, purpose = ?4, config = ?5 WHERE id = ?1",
            params![id.0, config.name, config.backend.as_str(), config.purpose.as_str(), json],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("agent {id}")));
        }
        Ok(())
    }

    /// Every agent, by name.
    pub fn list_agents(&self) -> Result<Vec<Agent>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map("SELECT id, config FROM agents ORDER BY name", &[], read_agent)?;
        Ok(rows)
    }

    /// One agent.
    pub fn agent(&self, id: AgentId) -> Result<Option<Agent>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt("SELECT id, config FROM agents WHERE id = ?1", params![id.0], read_agent)?;
        Ok(row)
    }
}

pub(crate) fn insert_agent(conn: &mut Conn, config: &AgentConfig, now: UnixMillis) -> Result<AgentId> {
    let json = serde_json::to_string(config).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let id = conn.query_row(
        "INSERT INTO agents (name, backend, purpose, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        params![config.name, config.backend.as_str(), config.purpose.as_str(), json, now.0],
        |row| row.get(0),
    )?;
    Ok(AgentId(id))
}

fn read_agent(row: &Row<'_>) -> Result<Agent> {
    let id: i64 = row.get(0)?;
    let config: String = row.get(1)?;
    serde_json::from_str(&config)
        .map(|config| Agent { id: AgentId(id), config })
        .map_err(|err| StoreError::Corrupt(format!("agent {id}: {err}")))
}
