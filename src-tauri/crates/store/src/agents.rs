//! Agent repository.

use crate::cached::Cached as _;
use rusqlite::{Connection, OptionalExtension, Row, params};
use switchboard_core::{Agent, AgentConfig, AgentId, UnixMillis};

use crate::{Result, Store, StoreError};

impl Store {
    /// Stores a new agent; names are unique.
    pub fn insert_agent(&self, config: &AgentConfig, now: UnixMillis) -> Result<AgentId> {
        insert_agent(&self.conn(), config, now)
    }

    /// Replaces an agent's configuration.
    pub fn update_agent(&self, id: AgentId, config: &AgentConfig) -> Result<()> {
        let json = serde_json::to_string(config).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let changed = self.conn().execute_cached(
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
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT id, config FROM agents ORDER BY name")?;
        let rows = stmt.query_map([], read_agent)?;
        rows.map(|row| row?).collect()
    }

    /// One agent.
    pub fn agent(&self, id: AgentId) -> Result<Option<Agent>> {
        let conn = self.conn();
        let row =
            conn.query_row_cached("SELECT id, config FROM agents WHERE id = ?1", [id.0], read_agent).optional()?;
        row.transpose()
    }
}

pub(crate) fn insert_agent(conn: &Connection, config: &AgentConfig, now: UnixMillis) -> Result<AgentId> {
    let json = serde_json::to_string(config).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    conn.execute_cached(
        "INSERT INTO agents (name, backend, purpose, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![config.name, config.backend.as_str(), config.purpose.as_str(), json, now.0],
    )?;
    Ok(AgentId(conn.last_insert_rowid()))
}

fn read_agent(row: &Row<'_>) -> rusqlite::Result<Result<Agent>> {
    let id: i64 = row.get(0)?;
    let config: String = row.get(1)?;
    Ok(serde_json::from_str(&config)
        .map(|config| Agent { id: AgentId(id), config })
        .map_err(|err| StoreError::Corrupt(format!("agent {id}: {err}"))))
}
