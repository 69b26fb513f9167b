//! Rehearsal suites edited in the window, and rehearsals with their judged runs per agent version.

use crate::db::params;
use switchboard_core::{AgentId, RehearsalMode, RehearsalRun, ScenarioResult, Suite, UnixMillis};

use crate::{Result, Store, StoreError};

impl Store {
    /// Keeps `suite` as the agent's (replacing the one it had) and, in the same transaction,
    /// forgets the results of the scenarios named in `changed` (edited or removed): a result
    /// belongs to the scenario that was rehearsed, not to one edited since under its name.
    pub fn save_rehearsal_suite(
        &self,
        agent: AgentId,
        suite: &Suite,
        changed: &[String],
        now: UnixMillis,
    ) -> Result<()> {
        let json = serde_json::to_string(suite).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO rehearsal_suites (agent_id, suite, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (agent_id) DO UPDATE SET suite = excluded.suite, updated_at = excluded.updated_at",
            params![agent.0, json, now.0],
        )?;
        for scenario in changed {
            tx.execute(
                "DELETE FROM rehearsal_runs
                 WHERE scenario = ?2 AND rehearsal_id IN (SELECT id FROM rehearsals WHERE agent_id = ?1)",
                params![agent.0, scenario],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The suite kept for the agent, if one was saved.
    pub fn rehearsal_suite(&self, agent: AgentId) -> Result<Option<Suite>> {
        let json: Option<String> = self.conn()?.query_opt(
            "SELECT suite FROM rehearsal_suites WHERE agent_id = ?1",
            params![agent.0],
            |row| row.get(0),
        )?;
        json.map(|json| {
            serde_json::from_str(&json)
                .map_err(|err| StoreError::Corrupt(format!("the rehearsal suite of agent {agent}: {err}")))
        })
        .transpose()
    }

    /// Starts a rehearsal of the agent's `version` in `mode`; returns its id.
    pub fn insert_rehearsal(&self, agent: AgentId, version: &str, mode: RehearsalMode, now: UnixMillis) -> Result<i64> {
        let mut conn = self.conn()?;
        conn.query_row(
            "INSERT INTO rehearsals (agent_id, agent_version, mode, started_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
            params![agent.0, version, mode.as_str(), now.0],
            |row| row.get(0),
        )
    }

    /// Keeps run `seq` (from 0, in the order played) of rehearsal `rehearsal`, judged.
    pub fn add_rehearsal_run(&self, rehearsal: i64, seq: u32, run: &RehearsalRun) -> Result<()> {
        let json = serde_json::to_string(run).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        self.conn()?.execute(
            "INSERT INTO rehearsal_runs (rehearsal_id, scenario, seq, passed, run) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![rehearsal, run.scenario, seq, run.passed(), json],
        )?;
        Ok(())
    }

    /// The version and start of the agent's latest rehearsal, of any version.
    pub fn latest_rehearsal(&self, agent: AgentId) -> Result<Option<(String, UnixMillis)>> {
        self.conn()?.query_opt(
            "SELECT agent_version, started_at FROM rehearsals WHERE agent_id = ?1 ORDER BY id DESC LIMIT 1",
            params![agent.0],
            |row| Ok((row.get(0)?, UnixMillis(row.get(1)?))),
        )
    }

    /// The runs of the latest rehearsal of each scenario of the agent's `version`, by scenario.
    pub fn last_rehearsal_results(&self, agent: AgentId, version: &str) -> Result<Vec<ScenarioResult>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            "SELECT r.scenario, r.run FROM rehearsal_runs r
             WHERE r.rehearsal_id = (
                 SELECT max(latest.rehearsal_id) FROM rehearsal_runs latest
                 JOIN rehearsals h ON h.id = latest.rehearsal_id
                 WHERE latest.scenario = r.scenario AND h.agent_id = ?1 AND h.agent_version = ?2)
             ORDER BY r.scenario, r.seq",
            params![agent.0, version],
            |row| Ok((row.get::<String>(0)?, row.get::<String>(1)?)),
        )?;
        let mut results: Vec<ScenarioResult> = Vec::new();
        for row in rows {
            let (scenario, json) = row;
            let run: RehearsalRun = serde_json::from_str(&json)
                .map_err(|err| StoreError::Corrupt(format!("a rehearsal run of {scenario:?}: {err}")))?;
            match results.last_mut() {
                Some(last) if last.scenario == scenario => last.runs.push(run),
                _ => results.push(ScenarioResult { scenario, runs: vec![run] }),
            }
        }
        Ok(results)
    }
}
