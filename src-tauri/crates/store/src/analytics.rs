//! Analytics queries: the per-hour call tallies (`call_stats`, kept by triggers), and the
//! percentiles of talk time (walking an index in order) and of per-turn latency (from running
//! counts per latency bucket, also kept by triggers).

use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, params_from_iter};
use switchboard_core::{AgentId, AnalyticsScope, BackendKind, CallState, CallTally, TallyRow};

use crate::{Result, Store, StoreError};

const HOUR_MS: i64 = 3_600_000;

/// Latency buckets (their lower bound in ms), quickest first, each with how many turns fell in it.
pub type LatencyCounts = Vec<(i64, u64)>;

/// The tallies in an hour range (?1, ?2) and filter (?3 to ?5): the rows as stored (one per
/// hour, agent, backend, campaign and state), in primary key order, for the caller to add up.
const TALLIES: &str =
    "SELECT hour, agent_id, backend, state, calls, answered, talked, talk_ms, quotes, costed, cost_micros
     FROM call_stats
     WHERE hour >= ?1 AND hour < ?2 AND (?3 IS NULL OR agent_id = ?3) AND (?4 IS NULL OR backend = ?4)
       AND (?5 IS NULL OR campaign_id = ?5)";

/// The talk time at a position (?6) among answered, ended calls placed in ?1..?2 matching ?3 to ?5.
const TALK_TIME: &str = "SELECT ended_at - answered_at FROM calls INDEXED BY calls_by_talk_time
     WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL AND created_at >= ?1 AND created_at < ?2
       AND (?3 IS NULL OR agent_id = ?3) AND (?4 IS NULL OR backend = ?4) AND (?5 IS NULL OR campaign_id = ?5)
     ORDER BY ended_at - answered_at LIMIT 1 OFFSET ?6";

/// How many turns of each backend fell in each latency bucket, placed in hours ?1..?2, matching
/// ?3 to ?5 (backend, then bucket, in order): per cell, the running count before ?2 less the
/// one before ?1.
const TURN_LATENCIES: &str = "SELECT backend, bucket_ms, SUM(
         COALESCE((SELECT turns FROM turn_latency_running r WHERE r.backend = c.backend AND r.bucket_ms = c.bucket_ms
                     AND r.agent_id = c.agent_id AND r.campaign_id = c.campaign_id AND r.hour < ?2
                   ORDER BY r.hour DESC LIMIT 1), 0)
       - COALESCE((SELECT turns FROM turn_latency_running r WHERE r.backend = c.backend AND r.bucket_ms = c.bucket_ms
                     AND r.agent_id = c.agent_id AND r.campaign_id = c.campaign_id AND r.hour < ?1
                   ORDER BY r.hour DESC LIMIT 1), 0)) AS turns
     FROM turn_latency_cells c
     WHERE (?3 IS NULL OR agent_id = ?3) AND (?4 IS NULL OR backend = ?4) AND (?5 IS NULL OR campaign_id = ?5)
     GROUP BY backend, bucket_ms HAVING turns > 0";

impl Store {
    /// The stored tallies of calls in `scope`, per hour, agent, backend and state (a row per
    /// campaign too: the caller adds them up), in hour order.
    pub fn call_tallies(&self, scope: &AnalyticsScope) -> Result<Vec<TallyRow>> {
        let (from, to) = scope.hours();
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(TALLIES)?;
        let values = [Value::Integer(from), Value::Integer(to)].into_iter().chain(filter_values(scope));
        let rows = stmt.query_map(params_from_iter(values), |row| {
            let (backend, state) = (row.get_ref(2)?.as_str()?, row.get_ref(3)?.as_str()?);
            let count = |index| row.get::<_, i64>(index).map(i64::unsigned_abs);
            let tally = CallTally {
                calls: count(4)?,
                answered: count(5)?,
                talked: count(6)?,
                talk_ms: row.get(7)?,
                quotes: count(8)?,
                costed: count(9)?,
                cost_micros: row.get(10)?,
            };
            let read = match (BackendKind::parse(backend), CallState::parse(state)) {
                (Some(backend), Some(state)) => {
                    Ok(TallyRow { hour: row.get(0)?, agent_id: AgentId(row.get(1)?), backend, state, tally })
                }
                _ => Err(StoreError::Corrupt(format!("call_stats has backend {backend:?} and state {state:?}"))),
            };
            Ok(read)
        })?;
        rows.map(|row| row?).collect()
    }

    /// The talk time (answer to end, ms) at 0-based position `rank` among the answered, ended
    /// calls in `scope`, shortest first.
    pub fn talk_time_at(&self, scope: &AnalyticsScope, rank: u64) -> Result<Option<i64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(TALK_TIME)?;
        let values = scope_values(scope).chain([Value::Integer(rank as i64)]);
        Ok(stmt.query_row(params_from_iter(values), |row| row.get(0)).optional()?)
    }

    /// Each backend's turn latencies in `scope`, as (bucket, how many turns fell in it), quickest
    /// first: what any percentile of them needs, to the bucket: 10 ms under 2 s,
    /// 100 ms under 10 s, 1 s beyond (migration 21).
    pub fn turn_latency_counts(&self, scope: &AnalyticsScope) -> Result<Vec<(BackendKind, LatencyCounts)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(TURN_LATENCIES)?;
        let (from, to) = scope.hours();
        let values = [Value::Integer(from), Value::Integer(to)].into_iter().chain(filter_values(scope));
        let mut rows = stmt.query(params_from_iter(values))?;
        let mut backends: Vec<(BackendKind, LatencyCounts)> = Vec::new();
        while let Some(row) = rows.next()? {
            let name = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let count = (row.get::<_, i64>(1)?, row.get::<_, i64>(2)?.unsigned_abs());
            match backends.last_mut() {
                Some((backend, counts)) if backend.as_str() == name => counts.push(count),
                _ => {
                    let backend = BackendKind::parse(name)
                        .ok_or_else(|| StoreError::Corrupt(format!("turn_latency_cells has backend {name:?}")))?;
                    backends.push((backend, vec![count]));
                }
            }
        }
        Ok(backends)
    }

    /// The plan SQLite chooses for each analytics query (parameters unbound), steps joined by "; ".
    pub fn analytics_query_plans(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut plans = Vec::new();
        for query in [TALLIES, TALK_TIME, TURN_LATENCIES] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {query}"))?;
            let mut rows = stmt.raw_query();
            let mut steps = Vec::new();
            while let Some(row) = rows.next()? {
                steps.push(row.get::<_, String>(3)?);
            }
            plans.push(steps.join("; "));
        }
        Ok(plans)
    }
}

/// ?1 and ?2 (placed from, before, in ms, whole hours) then the filter's ?3 to ?5.
fn scope_values(scope: &AnalyticsScope) -> impl Iterator<Item = Value> {
    let (from, to) = scope.hours();
    [Value::Integer(from.saturating_mul(HOUR_MS)), Value::Integer(to.saturating_mul(HOUR_MS))]
        .into_iter()
        .chain(filter_values(scope))
}

/// Agent, backend and campaign (?3 to ?5), `NULL` for any.
fn filter_values(scope: &AnalyticsScope) -> [Value; 3] {
    [
        scope.agent_id.map_or(Value::Null, |agent| Value::Integer(agent.0)),
        scope.backend.map_or(Value::Null, |backend| Value::Text(backend.as_str().to_owned())),
        scope.campaign_id.map_or(Value::Null, Value::Integer),
    ]
}
