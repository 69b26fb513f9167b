//! History queries: calls by filter, a page at a time (newest first, keyed by id so a deep
//! page costs what the first does), how many match, and transcript search within the filter.

use crate::db::{Row, Value};
use switchboard_core::{CallFilter, CallId, CallSummary};

use crate::calls::{SELECT_SUMMARY, SUMMARY_COLUMNS, read_summary, summary_columns, summary_joins};
use crate::db::Dialect;
use crate::search::{
    HEADLINE_OPTIONS, LINES_PER_CALL, MATCH_END, MATCH_START, fts_expression, joined_marks, terms, tsquery_expression,
};
use crate::{Result, Store};

/// A transcript line that matched a search, with the call it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryHit {
    pub call: CallSummary,
    /// The line's position in the call's transcript.
    pub seq: u32,
    /// The line, with each matched word between [`MATCH_START`] and [`MATCH_END`].
    pub snippet: String,
}

impl Store {
    /// Calls matching `filter`, newest first, at most `limit`, starting after `before` (the
    /// last id of the previous page) when given.
    pub fn history_page(&self, filter: &CallFilter, before: Option<CallId>, limit: u32) -> Result<Vec<CallSummary>> {
        let mut conn = self.conn()?;
        let (mut sql, mut values) = where_clause(filter, conn.dialect());
        if let Some(before) = before {
            sql.push_str(" AND c.id < ?");
            values.push(Value::Int(before.0));
        }
        values.push(Value::Int(i64::from(limit)));
        let rows =
            conn.query_map(&format!("{SELECT_SUMMARY} WHERE {sql} ORDER BY c.id DESC LIMIT ?"), &values, read_summary)?;
        Ok(rows)
    }

    /// How many calls match `filter`.
    pub fn history_count(&self, filter: &CallFilter) -> Result<u64> {
        let mut conn = self.conn()?;
        let (sql, values) = where_clause(filter, conn.dialect());
        let count: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM calls c JOIN contacts ct ON ct.id = c.contact_id WHERE {sql}"),
            &values,
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    /// Transcript lines matching `query` (see [`Store::search_transcripts`]) in calls matching
    /// `filter`, newest calls first, at most `limit`. (Newest first, not best first: it is what
    /// a dispatcher looks for in History, and the index yields it without ranking every match.)
    pub fn history_search(&self, filter: &CallFilter, query: &str, limit: u32) -> Result<Vec<HistoryHit>> {
        let terms = terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let (sql, filter_values) = where_clause(filter, conn.dialect());
        let (search, mut values) = match conn.dialect() {
            Dialect::Sqlite => (
                format!(
                    "SELECT {}, ts.rowid, highlight(transcript_search, 0, ?, ?)
                     FROM transcript_search ts JOIN calls c ON c.id = ts.rowid / {LINES_PER_CALL} {}
                     WHERE transcript_search MATCH ? AND {sql} ORDER BY ts.rowid DESC LIMIT ?",
                    summary_columns!(),
                    summary_joins!()
                ),
                vec![
                    Value::Text(MATCH_START.to_string()),
                    Value::Text(MATCH_END.to_string()),
                    Value::Text(fts_expression(&terms)),
                ],
            ),
            Dialect::Postgres => (
                format!(
                    "SELECT {}, tl.call_id * {LINES_PER_CALL} + tl.seq, ts_headline('transcript_search', tl.text, query, ?)
                     FROM transcript_lines tl JOIN calls c ON c.id = tl.call_id {}, to_tsquery('transcript_search', ?) query
                     WHERE tl.search @@ query AND {sql} ORDER BY tl.call_id DESC, tl.seq DESC LIMIT ?",
                    summary_columns!(),
                    summary_joins!()
                ),
                vec![Value::Text(HEADLINE_OPTIONS.clone()), Value::Text(tsquery_expression(&terms))],
            ),
        };
        values.extend(filter_values);
        values.push(Value::Int(i64::from(limit)));
        let mut rows = conn.query_map(&search, &values, read_hit)?;
        if conn.dialect() == Dialect::Postgres {
            rows.iter_mut().for_each(|hit| hit.snippet = joined_marks(std::mem::take(&mut hit.snippet), &terms));
        }
        Ok(rows)
    }
}

fn read_hit(row: &Row<'_>) -> Result<HistoryHit> {
    let call = read_summary(row)?;
    let rowid: i64 = row.get(SUMMARY_COLUMNS)?;
    Ok(HistoryHit { call, seq: (rowid % LINES_PER_CALL) as u32, snippet: row.get(SUMMARY_COLUMNS + 1)? })
}

/// The SQL condition (on `c` = calls, `ct` = contacts) and its parameters for a filter.
fn where_clause(filter: &CallFilter, dialect: Dialect) -> (String, Vec<Value>) {
    let mut sql = String::from("1 = 1");
    let mut values = Vec::new();
    let mut condition = |clause: &str, params: &[Value]| {
        sql.push_str(" AND ");
        sql.push_str(clause);
        values.extend_from_slice(params);
    };
    if let Some(campaign) = filter.campaign_id {
        condition("c.campaign_id = ?", &[Value::Int(campaign)]);
    }
    if let Some(contact) = filter.contact_id {
        condition("c.contact_id = ?", &[Value::Int(contact.0)]);
    }
    if let Some(text) = filter.contact_text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        let pattern = Value::Text(format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        // SQLite's LIKE ignores ASCII case; Postgres's ILIKE does.
        let clause = match dialect {
            Dialect::Sqlite => "(ct.name LIKE ? ESCAPE '\\' OR c.phone_e164 LIKE ? ESCAPE '\\')",
            Dialect::Postgres => "(ct.name ILIKE ? ESCAPE '\\' OR c.phone_e164 LIKE ? ESCAPE '\\')",
        };
        condition(clause, &[pattern.clone(), pattern]);
    }
    if let Some(agent) = filter.agent_id {
        condition("c.agent_id = ?", &[Value::Int(agent.0)]);
    }
    if let Some(backend) = filter.backend {
        condition("c.backend = ?", &[Value::Text(backend.as_str().to_owned())]);
    }
    if let Some(from) = filter.from {
        condition("c.created_at >= ?", &[Value::Int(from.0)]);
    }
    if let Some(to) = filter.to {
        condition("c.created_at < ?", &[Value::Int(to.0)]);
    }
    if !filter.outcomes.is_empty() {
        let states: Vec<Value> = filter.outcomes.iter().map(|state| Value::Text(state.as_str().to_owned())).collect();
        condition(&format!("c.state IN ({})", vec!["?"; states.len()].join(", ")), &states);
    }
    (sql, values)
}
