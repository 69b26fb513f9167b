//! The Analytics section's figures for a filter, from the store's tallies, talk-time walk
//! and latency bucket counts, and their export as one table (CSV or .xlsx).

use std::collections::HashMap;

use switchboard_core::{
    AgentId, Analytics, AnalyticsScope, BackendKind, BackendLatency, CallTally, Figures, GroupFigures, nearest_rank,
    percentile_of_counts,
};
use switchboard_store::{Store, StoreError};

use crate::tables::{Cell, ExportFormat, Table};

/// Every figure the section shows for `scope`.
pub fn analytics(store: &Store, scope: &AnalyticsScope) -> Result<Analytics, StoreError> {
    let tallies = store.call_tallies(scope)?;
    let p90_talk_ms = match nearest_rank(tallies.total.talked, 90) {
        Some(rank) => store
            .talk_time_from_longest(scope, tallies.total.talked - 1 - rank)?
            .map(|ms| ms.clamp(0, i64::from(u32::MAX)) as u32),
        None => None,
    };
    let names: HashMap<AgentId, String> =
        store.list_agents()?.into_iter().map(|agent| (agent.id, agent.config.name)).collect();
    let group = |key: String, label: String, tally: &CallTally| GroupFigures { key, label, figures: (*tally).into() };
    Ok(Analytics {
        totals: tallies.total.into(),
        p90_talk_ms,
        days: tallies.days.iter().map(|(day, tally)| group(day.to_string(), day.to_string(), tally)).collect(),
        outcomes: tallies
            .outcomes
            .iter()
            .map(|(state, tally)| group((*state).to_owned(), state.replace('-', " "), tally))
            .collect(),
        agents: tallies
            .agents
            .iter()
            .map(|(id, tally)| {
                let name = names.get(id).cloned().unwrap_or_else(|| format!("agent {id}"));
                group(id.to_string(), name, tally)
            })
            .collect(),
        backends: tallies
            .backends
            .iter()
            .map(|(backend, tally)| {
                let label =
                    BackendKind::parse(backend).map_or_else(|| (*backend).to_owned(), |kind| kind.label().to_owned());
                group((*backend).to_owned(), label, tally)
            })
            .collect(),
        latencies: latencies(store, scope)?,
    })
}

/// p50, p90 and p99 of each backend's turn latency in `scope`, each the start of its bucket.
fn latencies(store: &Store, scope: &AnalyticsScope) -> Result<Vec<BackendLatency>, StoreError> {
    let whole = |ms: Option<i64>| ms.unwrap_or_default().clamp(0, i64::from(u32::MAX)) as u32;
    Ok(store
        .turn_latency_counts(scope)?
        .into_iter()
        .map(|(backend, counts)| BackendLatency {
            backend,
            turns: counts.iter().map(|(_, count)| count).sum::<u64>() as u32,
            p50_ms: whole(percentile_of_counts(&counts, 50)),
            p90_ms: whole(percentile_of_counts(&counts, 90)),
            p99_ms: whole(percentile_of_counts(&counts, 99)),
        })
        .collect())
}

/// The columns of the export, in order.
pub const EXPORT_COLUMNS: [&str; 15] = [
    "section",
    "name",
    "calls",
    "answered",
    "answer_rate",
    "average_talk_s",
    "p90_talk_s",
    "quotes",
    "cost_usd",
    "costed_calls",
    "cost_per_quote_usd",
    "turns",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
];

/// The figures as one table: the totals, then a row per day, outcome, agent and backend, then
/// a row per backend's turn latency.
pub fn export_table(analytics: &Analytics) -> Table {
    let figures_row = |section: &str, name: &str, figures: &Figures, p90: Option<u32>| {
        let mut row = vec![
            Cell::Text(section.to_owned()),
            Cell::Text(name.to_owned()),
            Cell::Number(figures.calls.into()),
            Cell::Number(figures.answered.into()),
            Cell::number(figures.answer_rate),
            Cell::number(figures.average_talk_ms.map(|ms| ms / 1e3)),
            Cell::number(p90.map(|ms| f64::from(ms) / 1e3)),
            Cell::Number(figures.quotes.into()),
            Cell::Number(figures.cost_usd),
            Cell::Number(figures.costed_calls.into()),
            Cell::number(figures.cost_per_quote_usd),
        ];
        row.resize(EXPORT_COLUMNS.len(), Cell::Empty);
        row
    };
    let mut rows = vec![figures_row("total", "all calls", &analytics.totals, analytics.p90_talk_ms)];
    for (section, groups) in [
        ("day", &analytics.days),
        ("outcome", &analytics.outcomes),
        ("agent", &analytics.agents),
        ("backend", &analytics.backends),
    ] {
        rows.extend(groups.iter().map(|group| figures_row(section, &group.label, &group.figures, None)));
    }
    for latency in &analytics.latencies {
        let mut row = vec![Cell::Text("latency".into()), Cell::Text(latency.backend.label().to_owned())];
        row.resize(EXPORT_COLUMNS.len() - 4, Cell::Empty);
        row.extend([latency.turns, latency.p50_ms, latency.p90_ms, latency.p99_ms].map(|n| Cell::Number(n.into())));
        rows.push(row);
    }
    Table { sheet: "Analytics", header: EXPORT_COLUMNS.map(str::to_owned).to_vec(), rows }
}

/// The figures as CSV or an .xlsx workbook.
pub fn export(analytics: &Analytics, format: ExportFormat) -> Result<Vec<u8>, String> {
    let table = export_table(analytics);
    match format {
        ExportFormat::Csv => Ok(table.to_csv().into_bytes()),
        ExportFormat::Xlsx => table.to_xlsx(),
        other => Err(format!("analytics are exported as CSV or .xlsx, not {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::read_table;
    use switchboard_core::AnalyticsFilter;

    #[test]
    fn the_export_reads_back_as_the_figures_in_csv_and_xlsx() {
        let store = Store::open_in_memory().unwrap();
        let scope = AnalyticsFilter { time_zone: "UTC".into(), ..AnalyticsFilter::default() }.scope().unwrap();
        let mut figures = analytics(&store, &scope).unwrap();
        assert!(figures.days.is_empty() && figures.latencies.is_empty(), "no call, no day");
        figures.totals.calls = 3;
        figures.totals.cost_usd = 1.25;
        figures.p90_talk_ms = Some(90_500);
        figures.latencies.push(BackendLatency {
            backend: BackendKind::Pipeline,
            turns: 5,
            p50_ms: 1_000,
            p90_ms: 2_000,
            p99_ms: 2_000,
        });
        for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
            let rows = read_table(&export(&figures, format).unwrap()).unwrap();
            assert_eq!(rows[0], EXPORT_COLUMNS, "{format:?}");
            assert_eq!(&rows[1][..3], ["total", "all calls", "3"], "{format:?}");
            assert_eq!((rows[1][6].as_str(), rows[1][8].as_str()), ("90.5", "1.25"), "{format:?}");
            assert_eq!(&rows[2][..2], ["latency", "the voice pipeline"], "{format:?}");
            assert_eq!(&rows[2][11..], ["5", "1000", "2000", "2000"], "{format:?}");
        }
        assert!(export(&figures, ExportFormat::Json).unwrap_err().contains("CSV or .xlsx"));
    }
}
