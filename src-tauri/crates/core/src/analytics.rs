//! The Analytics section's figures: what it filters by, the figures per day, outcome, agent and
//! backend, and the pure arithmetic behind them (answer rate, averages, nearest-rank
//! percentiles, cost per quote, calendar days in the dispatcher's zone).

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::{AgentId, BackendKind, CallState, FieldError, UnixMillis, resolve_time_zone};

const HOUR_MS: i64 = 3_600_000;

/// Which calls the figures count, as the window asks: days (yyyy-mm-dd, both included) in the
/// dispatcher's zone, and any of agent, backend and campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct AnalyticsFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub agent_id: Option<AgentId>,
    pub backend: Option<BackendKind>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub campaign_id: Option<i64>,
    /// The IANA zone days are counted in (the window's own).
    pub time_zone: String,
}

/// A filter read: placed at or after `from` and before `to` (whole hours), and the zone.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsScope {
    pub from: Option<UnixMillis>,
    pub to: Option<UnixMillis>,
    pub agent_id: Option<AgentId>,
    pub backend: Option<BackendKind>,
    pub campaign_id: Option<i64>,
    pub zone: TimeZone,
}

impl AnalyticsFilter {
    /// The filter as instants; every field's problem at once, each with its field's name.
    pub fn scope(&self) -> Result<AnalyticsScope, Vec<FieldError>> {
        let mut problems = Vec::new();
        let zone = match resolve_time_zone(&self.time_zone) {
            Ok((_, zone)) => Some(zone),
            Err(err) => {
                problems.push(FieldError::new("timeZone", err.to_string()));
                None
            }
        };
        let mut day = |field: &str, text: &Option<String>| -> Option<Date> {
            let text = text.as_deref().map(str::trim).filter(|text| !text.is_empty())?;
            let parsed = text.parse::<Date>().ok().filter(|_| text.len() == 10);
            if parsed.is_none() {
                problems.push(FieldError::new(field, format!("{text:?} is not a day: write it as yyyy-mm-dd")));
            }
            parsed
        };
        let (from, to) = (day("from", &self.from), day("to", &self.to));
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            problems.push(FieldError::new("to", format!("the last day ({to}) is before the first ({from})")));
        }
        let Some(zone) = zone.filter(|_| problems.is_empty()) else { return Err(problems) };
        let start = |date: Date| date.to_zoned(zone.clone()).map(|at| UnixMillis(at.timestamp().as_millisecond()));
        let from = from.map(start).transpose();
        let to = to.map(|to| to.tomorrow().and_then(start)).transpose();
        match (from, to) {
            (Ok(from), Ok(to)) => Ok(AnalyticsScope {
                from,
                to,
                agent_id: self.agent_id,
                backend: self.backend,
                campaign_id: self.campaign_id,
                zone,
            }),
            (Err(err), _) | (_, Err(err)) => {
                Err(vec![FieldError::new("from", format!("that day is out of range: {err}"))])
            }
        }
    }
}

impl AnalyticsScope {
    /// The hours counted: from the hour `from` falls in to the hour `to` falls in (excluded).
    pub fn hours(&self) -> (i64, i64) {
        let from = self.from.map_or(i64::MIN / HOUR_MS, |from| from.0.div_euclid(HOUR_MS));
        let to = self.to.map_or(i64::MAX / HOUR_MS, |to| (to.0 + HOUR_MS - 1).div_euclid(HOUR_MS));
        (from, to)
    }

    /// The calendar day (in the scope's zone) an hour since the epoch starts in.
    pub fn day_of_hour(&self, hour: i64) -> Option<Date> {
        let at = Timestamp::from_millisecond(hour.checked_mul(HOUR_MS)?).ok()?;
        Some(at.to_zoned(self.zone.clone()).date())
    }
}

/// What a group of calls comes to, as stored: counts and sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTally {
    pub calls: u64,
    pub answered: u64,
    /// Answered and ended: the calls with a talk time.
    pub talked: u64,
    pub talk_ms: i64,
    /// Calls that yielded a quote (an offer).
    pub quotes: u64,
    /// Calls with a known cost.
    pub costed: u64,
    /// Their cost together, in millionths of a US dollar.
    pub cost_micros: i64,
}

impl std::ops::AddAssign for CallTally {
    fn add_assign(&mut self, other: CallTally) {
        self.calls += other.calls;
        self.answered += other.answered;
        self.talked += other.talked;
        self.talk_ms += other.talk_ms;
        self.quotes += other.quotes;
        self.costed += other.costed;
        self.cost_micros += other.cost_micros;
    }
}

/// The figures of a group of calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub calls: u32,
    pub answered: u32,
    /// Answered of those placed (0–1); none without a call.
    pub answer_rate: Option<f64>,
    /// Mean talk time (answer to end) of answered calls, in milliseconds.
    pub average_talk_ms: Option<f64>,
    pub quotes: u32,
    /// What the calls with a known cost cost together, US dollars.
    pub cost_usd: f64,
    /// How many calls have a known cost.
    pub costed_calls: u32,
    /// Cost divided by quotes obtained; none without a quote.
    pub cost_per_quote_usd: Option<f64>,
}

impl From<CallTally> for Figures {
    fn from(tally: CallTally) -> Figures {
        let ratio = |part: f64, whole: u64| (whole > 0).then(|| part / whole as f64);
        let cost_usd = tally.cost_micros as f64 / 1e6;
        Figures {
            calls: tally.calls as u32,
            answered: tally.answered as u32,
            answer_rate: ratio(tally.answered as f64, tally.calls),
            average_talk_ms: ratio(tally.talk_ms as f64, tally.talked),
            quotes: tally.quotes as u32,
            cost_usd,
            costed_calls: tally.costed as u32,
            cost_per_quote_usd: ratio(cost_usd, tally.quotes),
        }
    }
}

/// The figures of one day, agent, backend or outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GroupFigures {
    /// The day (yyyy-mm-dd), the agent's id, the backend's or the state's name.
    pub key: String,
    /// What the window shows for it.
    pub label: String,
    pub figures: Figures,
}

/// Per-turn latency (silence to the first frame sent) of one backend's turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BackendLatency {
    pub backend: BackendKind,
    pub turns: u32,
    pub p50_ms: u32,
    pub p90_ms: u32,
    pub p99_ms: u32,
}

/// Everything the Analytics section shows for a filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Analytics {
    pub totals: Figures,
    /// The 90th percentile of talk time (nearest rank), in milliseconds.
    pub p90_talk_ms: Option<u32>,
    /// Every day from the first to the last with calls (or the filter's days), in order.
    pub days: Vec<GroupFigures>,
    pub outcomes: Vec<GroupFigures>,
    pub agents: Vec<GroupFigures>,
    pub backends: Vec<GroupFigures>,
    pub latencies: Vec<BackendLatency>,
}

/// Totals of the stored groups: overall, and per day (in the scope's zone, every day between
/// the first and the last), outcome, agent and backend (keys in order).
#[derive(Debug, Default)]
pub struct Tallies {
    pub total: CallTally,
    pub days: BTreeMap<Date, CallTally>,
    pub outcomes: BTreeMap<&'static str, CallTally>,
    pub agents: BTreeMap<AgentId, CallTally>,
    pub backends: BTreeMap<&'static str, CallTally>,
    /// The hour last added and its day: groups come in hour order, so the zone is asked once
    /// an hour, not once a group.
    last_hour: Option<(i64, Option<Date>)>,
}

impl Tallies {
    /// Adds a stored group: what the calls `agent_id` placed on `backend` in `hour` (since the
    /// epoch, UTC) come to, in every state. Groups come in hour order.
    pub fn add(
        &mut self,
        scope: &AnalyticsScope,
        hour: i64,
        agent_id: AgentId,
        backend: BackendKind,
        tally: CallTally,
    ) {
        self.total += tally;
        let day = match self.last_hour {
            Some((last, day)) if last == hour => day,
            _ => {
                let day = scope.day_of_hour(hour);
                self.last_hour = Some((hour, day));
                day
            }
        };
        if let Some(day) = day {
            *self.days.entry(day).or_default() += tally;
        }
        *self.agents.entry(agent_id).or_default() += tally;
        *self.backends.entry(backend.as_str()).or_default() += tally;
    }

    /// Adds what the calls in `state` come to (the same calls as the groups, counted by state).
    pub fn add_outcome(&mut self, state: CallState, tally: CallTally) {
        *self.outcomes.entry(state.as_str()).or_default() += tally;
    }

    /// Gives every day from the first to the last (the scope's, else those with calls) a
    /// tally, zero if it had no call, so a chart's days are evenly spaced.
    pub fn fill_days(&mut self, scope: &AnalyticsScope) {
        let first = scope.from.and_then(|from| scope.day_of_hour(from.0 / HOUR_MS));
        let last = scope.to.and_then(|to| scope.day_of_hour((to.0 - 1) / HOUR_MS));
        let first = first.or_else(|| self.days.keys().next().copied());
        let last = last.or_else(|| self.days.keys().next_back().copied());
        if let (Some(first), Some(last)) = (first, last) {
            for day in first.series(jiff::Span::new().days(1)).take_while(|day| *day <= last).take(3_660) {
                self.days.entry(day).or_default();
            }
        }
    }
}

/// The `percent`th percentile (nearest rank) of values given in order as (value, how many).
pub fn percentile_of_counts(counts: &[(i64, u64)], percent: u64) -> Option<i64> {
    let rank = nearest_rank(counts.iter().map(|(_, count)| count).sum(), percent)?;
    let mut seen = 0;
    counts
        .iter()
        .find(|(_, count)| {
            seen += count;
            seen > rank
        })
        .map(|(value, _)| *value)
}

/// The 0-based position of the `percent`th percentile (nearest rank) among `count` sorted
/// values: the smallest value with at least `percent`% of the values at or below it.
pub fn nearest_rank(count: u64, percent: u64) -> Option<u64> {
    (count > 0).then(|| (count * percent).div_ceil(100).max(1) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(from: &str, to: &str, zone: &str) -> AnalyticsFilter {
        AnalyticsFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            time_zone: zone.into(),
            ..AnalyticsFilter::default()
        }
    }

    #[test]
    fn nearest_rank_picks_the_smallest_value_covering_the_percent() {
        assert_eq!(nearest_rank(0, 90), None);
        assert_eq!(nearest_rank(1, 90), Some(0));
        assert_eq!(nearest_rank(10, 90), Some(8));
        assert_eq!(nearest_rank(11, 90), Some(9));
        assert_eq!(nearest_rank(10, 50), Some(4));
        assert_eq!(nearest_rank(200, 99), Some(197));
        // 800, 900, 900, 1000, 2000: the 3rd, the 5th.
        let counts = [(800, 1), (900, 2), (1_000, 1), (2_000, 1)];
        assert_eq!(percentile_of_counts(&counts, 50), Some(900));
        assert_eq!(percentile_of_counts(&counts, 90), Some(2_000));
        assert_eq!(percentile_of_counts(&counts, 1), Some(800));
        assert_eq!(percentile_of_counts(&[], 50), None);
    }

    #[test]
    fn days_are_the_dispatchers_and_every_problem_is_named() {
        let scope = filter("2026-03-01", "2026-03-02", "America/Chicago").scope().unwrap();
        // Chicago is UTC-6 in winter: the first day starts at 06:00 UTC, the last ends at 06:00 on the 3rd.
        assert_eq!(scope.from, Some(UnixMillis(1_772_344_800_000)));
        assert_eq!(scope.to, Some(UnixMillis(1_772_344_800_000 + 2 * 86_400_000)));
        assert_eq!(scope.day_of_hour(1_772_344_800_000 / HOUR_MS - 1).unwrap().to_string(), "2026-02-28");
        assert_eq!(scope.day_of_hour(1_772_344_800_000 / HOUR_MS).unwrap().to_string(), "2026-03-01");

        let problems = filter("2026-3-1", "2026-02-30", "Mars/Olympus").scope().unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|problem| problem.field.as_str()).collect();
        assert_eq!(fields, ["timeZone", "from", "to"], "{problems:?}");
        let backwards = filter("2026-03-02", "2026-03-01", "UTC").scope().unwrap_err();
        assert_eq!(backwards[0].message, "the last day (2026-03-01) is before the first (2026-03-02)");
    }

    #[test]
    fn figures_divide_only_what_they_have() {
        let tally = CallTally {
            calls: 4,
            answered: 3,
            talked: 3,
            talk_ms: 90_000,
            quotes: 2,
            costed: 4,
            cost_micros: 1_250_000,
        };
        let figures = Figures::from(tally);
        assert_eq!(figures.answer_rate, Some(0.75));
        assert_eq!(figures.average_talk_ms, Some(30_000.0));
        assert_eq!(figures.cost_usd, 1.25);
        assert_eq!(figures.cost_per_quote_usd, Some(0.625));
        let unanswered = Figures::from(CallTally { calls: 1, ..CallTally::default() });
        assert_eq!(
            (unanswered.answer_rate, unanswered.average_talk_ms, unanswered.cost_per_quote_usd),
            (Some(0.0), None, None)
        );
        assert_eq!(Figures::from(CallTally::default()).answer_rate, None);
    }
}
