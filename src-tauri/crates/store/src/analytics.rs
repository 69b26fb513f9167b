//! Analytics queries: the call tallies per hour and per day (`call_stats`, kept by triggers),
//! and the percentiles of talk time (walking an index in order) and of per-turn latency (from
//! running counts per latency bucket, also kept by triggers).

use std::sync::LazyLock;

use crate::db::{Conn, Dialect, Row, Value};
use switchboard_core::{AgentId, AnalyticsScope, BackendKind, CallState, CallTally, Tallies};

use crate::{Result, Store, StoreError};

const HOUR_MS: i64 = 3_600_000;
/// The hours a day row of `call_stats` covers (a UTC day).
const DAY_HOURS: i64 = 24;
/// The figures `call_stats` holds of a row's calls, and again of its calls in each state (as
/// `<state>_<figure>`, in [`CallState::ALL`] order), in the order of [`CallTally`]'s fields.
const FIGURES: [&str; 7] = ["calls", "answered", "talked", "talk_ms", "quotes", "costed", "cost_micros"];

/// Latency buckets (their lower bound in ms), quickest first, each with how many turns fell in it.
pub type LatencyCounts = Vec<(i64, u64)>;

/// The filter on agent, backend and campaign (?3 to ?5, `NULL` for any). The casts give
/// Postgres the parameters' types, which `?3 IS NULL` alone does not.
macro_rules! scope_filter {
    () => {
        "(CAST(?3 AS BIGINT) IS NULL OR agent_id = ?3) AND (CAST(?4 AS TEXT) IS NULL OR backend = ?4)
         AND (CAST(?5 AS BIGINT) IS NULL OR campaign_id = ?5)"
    };
}

/// What the calls of each hour row in ?1..?2 matching ?3 to ?5 come to, in hour order.
const HOUR_TALLIES: &str = concat!(
    "SELECT hour, agent_id, backend, calls, answered, talked, talk_ms, quotes, costed, cost_micros
     FROM call_stats
     WHERE span_hours = 1 AND hour >= ?1 AND hour < ?2 AND ",
    scope_filter!()
);

/// What the calls in each state come to (the figures of [`CallState::ALL`] in turn), summed over
/// the day rows of whole days ?6..?7 and the hour rows of the rest of ?1..?2 (?1..?6, ?7..?2),
/// matching ?3 to ?5. (Three ranges of the primary key, ORed flat, so SQLite searches each.)
static OUTCOME_TALLIES: LazyLock<String> = LazyLock::new(|| {
    let sums: Vec<String> = CallState::ALL
        .iter()
        .flat_map(|state| FIGURES.map(|figure| format!("SUM({}_{figure})", state.as_str().replace('-', "_"))))
        .collect();
    format!(
        "SELECT {} FROM call_stats
         WHERE ((span_hours = {DAY_HOURS} AND hour >= ?6 AND hour < ?7) OR (span_hours = 1 AND hour >= ?1 AND hour < ?6)
                OR (span_hours = 1 AND hour >= ?7 AND hour < ?2))
           AND {}",
        sums.join(", "),
        scope_filter!()
    )
});

/// The talk time at a position (?6) among answered, ended calls placed in ?1..?2 matching ?3 to
/// ?5, longest first (a walk of the index from its end: the high percentiles are near it).
/// (SQLite is told the index; Postgres, which has no `INDEXED BY`, finds it itself.)
const TALK_TIME: &str = concat!(
    "SELECT ended_at - answered_at FROM calls INDEXED BY calls_by_talk_time
     WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL AND created_at >= ?1 AND created_at < ?2 AND ",
    scope_filter!(),
    " ORDER BY ended_at - answered_at DESC LIMIT 1 OFFSET ?6"
);
static TALK_TIME_POSTGRES: LazyLock<String> = LazyLock::new(|| TALK_TIME.replace(" INDEXED BY calls_by_talk_time", ""));

/// How many turns of each backend fell in each latency bucket, placed in hours ?1..?2, matching
/// ?3 to ?5 (backend, then bucket, in order): per cell, the running count before ?2 less the
/// one before ?1 (none when ?6 is 1: the range has no start).
macro_rules! turns_in_range {
    () => {
        "SUM(COALESCE((SELECT turns FROM turn_latency_running r WHERE r.backend = c.backend AND r.bucket_ms = c.bucket_ms
                         AND r.agent_id = c.agent_id AND r.campaign_id = c.campaign_id AND r.hour < ?2
                       ORDER BY r.hour DESC LIMIT 1), 0)
           - CASE WHEN ?6 = 1 THEN 0 ELSE COALESCE((SELECT turns FROM turn_latency_running r WHERE r.backend = c.backend
                         AND r.bucket_ms = c.bucket_ms AND r.agent_id = c.agent_id AND r.campaign_id = c.campaign_id
                         AND r.hour < ?1 ORDER BY r.hour DESC LIMIT 1), 0) END)"
    };
}
const TURN_LATENCIES: &str = concat!(
    "SELECT backend, bucket_ms, ",
    turns_in_range!(),
    " FROM turn_latency_cells c WHERE ",
    scope_filter!(),
    " GROUP BY backend, bucket_ms HAVING ",
    turns_in_range!(),
    " > 0 ORDER BY backend, bucket_ms"
);

impl Store {
    /// What the calls in `scope` come to, in all and per day, outcome, agent and backend.
    pub fn call_tallies(&self, scope: &AnalyticsScope) -> Result<Tallies> {
        let (from, to) = scope.hours();
        let mut conn = self.conn()?;
        let mut tallies = Tallies::default();
        let values: Vec<Value> = [Value::Int(from), Value::Int(to)].into_iter().chain(filter_values(scope)).collect();
        for (stamp, agent, backend, tally) in conn.query_map(HOUR_TALLIES, &values, |row| {
            let backend = row.with_text(2, |name| {
                BackendKind::parse(name).ok_or_else(|| StoreError::Corrupt(format!("call_stats has backend {name:?}")))
            })?;
            Ok((row.get(0)?, AgentId(row.get(1)?), backend, tally_at(row, 3)?))
        })? {
            tallies.add(scope, stamp, agent, backend, tally);
        }
        let (days_from, days_to) = whole_days(from, to);
        let values: Vec<Value> = [Value::Int(from), Value::Int(to)]
            .into_iter()
            .chain(filter_values(scope))
            .chain([Value::Int(days_from), Value::Int(days_to)])
            .collect();
        let outcomes = conn.query_opt(&OUTCOME_TALLIES, &values, |row| {
            (0..CallState::ALL.len()).map(|index| tally_at(row, index * FIGURES.len())).collect::<Result<Vec<_>>>()
        })?;
        for (state, tally) in CallState::ALL.into_iter().zip(outcomes.unwrap_or_default()) {
            if tally.calls > 0 {
                tallies.add_outcome(state, tally);
            }
        }
        tallies.fill_days(scope);
        Ok(tallies)
    }

    /// The talk time (answer to end, ms) at 0-based position `position` among the answered,
    /// ended calls in `scope`, longest first.
    pub fn talk_time_from_longest(&self, scope: &AnalyticsScope, position: u64) -> Result<Option<i64>> {
        let mut conn = self.conn()?;
        let values: Vec<Value> = scope_values(scope).chain([Value::Int(position as i64)]).collect();
        let sql = match conn.dialect() {
            Dialect::Sqlite => TALK_TIME,
            Dialect::Postgres => TALK_TIME_POSTGRES.as_str(),
        };
        conn.query_opt(sql, &values, |row| row.get(0))
    }

    /// Each backend's turn latencies in `scope`, as (bucket, how many turns fell in it), quickest
    /// first: what any percentile of them needs, to the bucket: 10 ms under 2 s,
    /// 100 ms under 10 s, 1 s beyond (migration 21).
    pub fn turn_latency_counts(&self, scope: &AnalyticsScope) -> Result<Vec<(BackendKind, LatencyCounts)>> {
        let mut conn = self.conn()?;
        let (from, to) = scope.hours();
        let values: Vec<Value> = [Value::Int(from), Value::Int(to)]
            .into_iter()
            .chain(filter_values(scope))
            .chain([Value::Int(scope.from.is_none().into())])
            .collect();
        let rows = conn.query_map(TURN_LATENCIES, &values, |row| {
            Ok((row.get::<String>(0)?, (row.get::<i64>(1)?, row.get::<i64>(2)?.unsigned_abs())))
        })?;
        let mut backends: Vec<(BackendKind, LatencyCounts)> = Vec::new();
        for (name, count) in rows {
            let name = name.as_str();
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

    /// The plan SQLite chooses for each analytics query (parameters unbound), steps joined by
    /// "; "; none on Postgres.
    pub fn analytics_query_plans(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let Conn::Sqlite(sqlite) = &*conn else { return Ok(Vec::new()) };
        let mut plans = Vec::new();
        for query in [HOUR_TALLIES, &OUTCOME_TALLIES, TALK_TIME, TURN_LATENCIES] {
            let mut stmt = sqlite.prepare(&format!("EXPLAIN QUERY PLAN {query}"))?;
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

/// The seven figures from column `first` on (sums of no row are `NULL`: 0).
fn tally_at(row: &Row, first: usize) -> Result<CallTally> {
    let figure = |offset: usize| row.get::<Option<i64>>(first + offset).map(Option::unwrap_or_default);
    let count = |offset| figure(offset).map(i64::unsigned_abs);
    Ok(CallTally {
        calls: count(0)?,
        answered: count(1)?,
        talked: count(2)?,
        talk_ms: figure(3)?,
        quotes: count(4)?,
        costed: count(5)?,
        cost_micros: figure(6)?,
    })
}

/// The whole UTC days (as hours, from, before) within the hours `from..to`; when there are
/// none, `to..to`, so the hour rows from `from` to `to` cover it all.
fn whole_days(from: i64, to: i64) -> (i64, i64) {
    let first = (from + DAY_HOURS - 1).div_euclid(DAY_HOURS) * DAY_HOURS;
    let last = to.div_euclid(DAY_HOURS) * DAY_HOURS;
    if first < last { (first, last) } else { (to, to) }
}

/// ?1 and ?2 (placed from, before, in ms, whole hours) then the filter's ?3 to ?5.
fn scope_values(scope: &AnalyticsScope) -> impl Iterator<Item = Value> {
    let (from, to) = scope.hours();
    [Value::Int(from.saturating_mul(HOUR_MS)), Value::Int(to.saturating_mul(HOUR_MS))]
        .into_iter()
        .chain(filter_values(scope))
}

/// Agent, backend and campaign (?3 to ?5), `NULL` for any.
fn filter_values(scope: &AnalyticsScope) -> [Value; 3] {
    [
        scope.agent_id.map_or(Value::Null, |agent| Value::Int(agent.0)),
        scope.backend.map_or(Value::Null, |backend| Value::Text(backend.as_str().to_owned())),
        scope.campaign_id.map_or(Value::Null, Value::Int),
    ]
}
