//! Exports of one call or a whole campaign: JSON (the full records, readable back with serde),
//! CSV or .xlsx (a row per call, readable back with [`CallCsvRow::read`]), and a transcript to read.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};
use switchboard_core::{CallAction, CallId, CostItem, Speaker, TranscriptLine, UnixMillis};
use switchboard_store::{Store, StoreError};

use super::record::{CallRecord, call_record};
use crate::EngineError;
use crate::campaigns::CampaignResult;
use crate::tables::{Cell, ExportFormat, Table, read_table};

/// How a price not reported by a provider is marked.
const ESTIMATE: &str = "estimate";

/// A campaign with every call it made, as exported to JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignExport {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub created_at: UnixMillis,
    pub ended_at: Option<UnixMillis>,
    pub result: Option<CampaignResult>,
    pub calls: Vec<CallRecord>,
}

/// One call as a CSV or spreadsheet row. `fields` is a JSON object; `transcript` has a line per
/// utterance, `[mm:ss.mmm] agent|callee: text`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CallCsvRow {
    pub call_id: i64,
    /// RFC 3339, UTC.
    pub placed_at: String,
    pub contact: String,
    pub phone: String,
    pub agent: String,
    pub backend: String,
    pub state: String,
    pub end_reason: Option<String>,
    pub duration_s: Option<f64>,
    pub campaign_id: Option<i64>,
    pub round: Option<u8>,
    pub attempt: Option<u32>,
    pub outcome: Option<String>,
    pub unit_price: Option<f64>,
    pub moq: Option<u32>,
    pub lead_time_days: Option<u32>,
    pub shipping: Option<String>,
    pub terms: Option<String>,
    /// What the provider reported, in its currency or unit.
    pub cost: Option<f64>,
    pub cost_currency: Option<String>,
    /// What the call cost in US dollars.
    pub cost_usd: Option<f64>,
    /// "estimate" when priced at Settings' rates or as if real (a simulator call).
    pub cost_estimate: Option<String>,
    /// Each item: "Twilio minutes: 3 min × $0.014 = $0.0420", one a line.
    pub cost_breakdown: Option<String>,
    pub recording: Option<String>,
    pub fields: String,
    pub transcript: String,
}

/// The columns of [`CallCsvRow`], in order.
const COLUMNS: [&str; 26] = [
    "call_id",
    "placed_at",
    "contact",
    "phone",
    "agent",
    "backend",
    "state",
    "end_reason",
    "duration_s",
    "campaign_id",
    "round",
    "attempt",
    "outcome",
    "unit_price",
    "moq",
    "lead_time_days",
    "shipping",
    "terms",
    "cost",
    "cost_currency",
    "cost_usd",
    "cost_estimate",
    "cost_breakdown",
    "recording",
    "fields",
    "transcript",
];

impl CallCsvRow {
    /// Reads the rows of a CSV or .xlsx export of calls.
    pub fn read(bytes: &[u8]) -> Result<Vec<CallCsvRow>, String> {
        let mut rows = read_table(bytes)?.into_iter();
        let header = csv::StringRecord::from(rows.next().unwrap_or_default());
        rows.map(|row| csv::StringRecord::from(row).deserialize(Some(&header)).map_err(|err| err.to_string())).collect()
    }

    fn cells(&self) -> Vec<Cell> {
        let text = |value: &str| Cell::Text(value.to_owned());
        vec![
            Cell::Number(self.call_id as f64),
            text(&self.placed_at),
            text(&self.contact),
            text(&self.phone),
            text(&self.agent),
            text(&self.backend),
            text(&self.state),
            Cell::text(self.end_reason.clone()),
            Cell::number(self.duration_s),
            Cell::number(self.campaign_id.map(|id| id as f64)),
            Cell::number(self.round),
            Cell::number(self.attempt),
            Cell::text(self.outcome.clone()),
            Cell::number(self.unit_price),
            Cell::number(self.moq),
            Cell::number(self.lead_time_days),
            Cell::text(self.shipping.clone()),
            Cell::text(self.terms.clone()),
            Cell::number(self.cost),
            Cell::text(self.cost_currency.clone()),
            Cell::number(self.cost_usd),
            Cell::text(self.cost_estimate.clone()),
            Cell::text(self.cost_breakdown.clone()),
            Cell::text(self.recording.clone()),
            text(&self.fields),
            text(&self.transcript),
        ]
    }

    fn of(record: &CallRecord) -> Self {
        let call = &record.call;
        let offer = record.offer.as_ref();
        let fields: BTreeMap<&str, &str> =
            record.fields.iter().map(|field| (field.key.as_str(), field.value.as_str())).collect();
        Self {
            call_id: call.id.0,
            placed_at: timestamp(call.created_at),
            contact: call.contact_name.clone(),
            phone: call.phone.clone(),
            agent: call.agent_name.clone(),
            backend: call.backend.as_str().to_owned(),
            state: call.state.as_str().to_owned(),
            end_reason: call.end_reason.clone(),
            duration_s: call.answered_at.zip(call.ended_at).map(|(from, to)| (to.0 - from.0) as f64 / 1000.0),
            campaign_id: call.campaign_id,
            round: call.round,
            attempt: call.attempt,
            outcome: record.outcome.clone(),
            unit_price: offer.and_then(|o| o.unit_price),
            moq: offer.and_then(|o| o.moq),
            lead_time_days: offer.and_then(|o| o.lead_time_days),
            shipping: offer.and_then(|o| o.shipping.clone()),
            terms: offer.and_then(|o| o.terms.clone()),
            cost: record.cost.as_ref().map(|c| c.amount),
            cost_currency: record.cost.as_ref().map(|c| c.currency.clone()),
            cost_usd: record.price.as_ref().map(|price| price.total_usd),
            cost_estimate: record.price.as_ref().filter(|price| price.estimate).map(|_| ESTIMATE.to_owned()),
            cost_breakdown: record
                .price
                .as_ref()
                .map(|price| price.items.iter().map(CostItem::describe).collect::<Vec<_>>().join("\n")),
            recording: record.recording.as_ref().filter(|r| r.deleted_at.is_none()).map(|r| r.file.clone()),
            fields: serde_json::to_string(&fields).unwrap_or_default(),
            transcript: record.transcript.iter().map(csv_line).collect::<Vec<_>>().join("\n"),
        }
    }

    /// The transcript cell read back into lines (numbered in order).
    pub fn transcript_lines(&self) -> Result<Vec<TranscriptLine>, String> {
        self.transcript
            .lines()
            .enumerate()
            .map(|(seq, line)| {
                parse_csv_line(seq as u32, line).ok_or_else(|| format!("transcript line {}: {line:?}", seq + 1))
            })
            .collect()
    }
}

fn csv_line(line: &TranscriptLine) -> String {
    format!("[{}] {}: {}", clock(line.offset_ms, true), line.speaker.as_str(), line.text.replace('\n', " "))
}

fn parse_csv_line(seq: u32, line: &str) -> Option<TranscriptLine> {
    let (time, rest) = line.strip_prefix('[')?.split_once("] ")?;
    let (speaker, text) = rest.split_once(": ")?;
    let (minutes, seconds) = time.split_once(':')?;
    let (seconds, millis) = seconds.split_once('.')?;
    let offset_ms =
        (minutes.parse::<u32>().ok()? * 60 + seconds.parse::<u32>().ok()?) * 1000 + millis.parse::<u32>().ok()?;
    Some(TranscriptLine { seq, speaker: Speaker::parse(speaker)?, text: text.to_owned(), offset_ms })
}

/// `mm:ss`, or `mm:ss.mmm` with milliseconds.
fn clock(ms: u32, millis: bool) -> String {
    let (minutes, seconds) = (ms / 60_000, ms / 1000 % 60);
    if millis { format!("{minutes:02}:{seconds:02}.{:03}", ms % 1000) } else { format!("{minutes:02}:{seconds:02}") }
}

pub(crate) fn timestamp(at: UnixMillis) -> String {
    jiff::Timestamp::from_millisecond(at.0).map(|ts| ts.to_string()).unwrap_or_default()
}

/// One call in `format`.
pub fn export_call(store: &Store, id: CallId, format: ExportFormat) -> Result<Vec<u8>, EngineError> {
    let record = call_record(store, id)?;
    match format {
        ExportFormat::Json => to_json(&record),
        ExportFormat::Csv => Ok(calls_table(std::slice::from_ref(&record)).to_csv().into_bytes()),
        ExportFormat::Xlsx => to_xlsx(&calls_table(std::slice::from_ref(&record))),
        ExportFormat::Text => Ok(readable(&record).into_bytes()),
    }
}

/// A campaign and all its calls in `format`.
pub fn export_campaign(store: &Store, id: i64, format: ExportFormat) -> Result<Vec<u8>, EngineError> {
    let row = store.campaign(id)?.ok_or_else(|| StoreError::NotFound(format!("campaign {id}")))?;
    let result: Option<CampaignResult> = row
        .summary
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|err| StoreError::Corrupt(format!("campaign {id} summary: {err}")))?;
    let calls = store
        .calls_in_campaign(id)?
        .into_iter()
        .map(|call| call_record(store, call.id))
        .collect::<Result<Vec<_>, _>>()?;
    let export = CampaignExport {
        id,
        name: row.name,
        kind: row.kind,
        status: row.status,
        created_at: row.created_at,
        ended_at: row.ended_at,
        result,
        calls,
    };
    match format {
        ExportFormat::Json => to_json(&export),
        ExportFormat::Csv => Ok(calls_table(&export.calls).to_csv().into_bytes()),
        ExportFormat::Xlsx => to_xlsx(&calls_table(&export.calls)),
        ExportFormat::Text => {
            let mut out = format!(
                "Campaign {} — {} ({}, {})\nStarted {}\n",
                export.id,
                export.name,
                export.kind,
                export.status,
                timestamp(export.created_at)
            );
            if let Some(result) = &export.result {
                let _ = write!(out, "\n{}", result.to_text());
            }
            for record in &export.calls {
                let _ = write!(out, "\n{}\n{}", "=".repeat(72), readable(record));
            }
            Ok(out.into_bytes())
        }
    }
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>, EngineError> {
    serde_json::to_vec_pretty(value).map_err(|err| EngineError::InvalidRequest(format!("could not write JSON: {err}")))
}

fn to_xlsx(table: &Table) -> Result<Vec<u8>, EngineError> {
    table.to_xlsx().map_err(EngineError::InvalidRequest)
}

/// A row per call.
fn calls_table(records: &[CallRecord]) -> Table {
    Table {
        sheet: "Calls",
        header: COLUMNS.map(str::to_owned).to_vec(),
        rows: records.iter().map(|record| CallCsvRow::of(record).cells()).collect(),
    }
}

/// A call as a person reads it: who, when, how it ended, what was collected, then the lines.
fn readable(record: &CallRecord) -> String {
    let call = &record.call;
    let mut out = String::new();
    let _ = writeln!(out, "Call {} — {} ({})", call.id, call.contact_name, call.phone);
    let _ = writeln!(out, "Agent: {} on {}", call.agent_name, call.backend.as_str());
    let _ = writeln!(out, "Placed: {}", timestamp(call.created_at));
    let duration =
        call.answered_at.zip(call.ended_at).map(|(a, e)| format!(" after {}", clock((e.0 - a.0).max(0) as u32, false)));
    let _ = writeln!(out, "Result: {}{}", call.state.as_str(), duration.unwrap_or_default());
    if let Some(reason) = &call.end_reason {
        let _ = writeln!(out, "Ended: {reason}");
    }
    if let Some(outcome) = &record.outcome {
        let _ = writeln!(out, "Outcome: {outcome}");
    }
    for field in &record.fields {
        let _ = writeln!(out, "Collected {}: {}", field.key, field.value);
    }
    if let Some(price) = &record.price {
        let estimate = if price.estimate { format!(" ({ESTIMATE})") } else { String::new() };
        let _ = writeln!(out, "Cost: ${:.4}{estimate}", price.total_usd);
        for item in &price.items {
            let _ = writeln!(out, "  {}", item.describe());
        }
    }
    if let Some(cost) = &record.cost {
        let _ = writeln!(out, "Reported by the provider: {:.4} {}", cost.amount, cost.currency);
    }
    out.push('\n');
    // The dispatcher's actions go in at the time they were taken, after what was said before.
    let start = call.answered_at.unwrap_or(call.created_at).0;
    let mut actions = record.actions.iter().peekable();
    let action_at = |action: &CallAction| u32::try_from((action.requested_at.0 - start).max(0)).unwrap_or(u32::MAX);
    for line in &record.transcript {
        while let Some(action) = actions.next_if(|action| action_at(action) < line.offset_ms) {
            let _ = writeln!(out, "[{}] {}", clock(action_at(action), false), action.transcript_text());
        }
        let who = match line.speaker {
            Speaker::Agent => &call.agent_name,
            Speaker::Callee => &call.contact_name,
        };
        let _ = writeln!(out, "[{}] {who}: {}", clock(line.offset_ms, false), line.text);
    }
    for action in actions {
        let _ = writeln!(out, "[{}] {}", clock(action_at(action), false), action.transcript_text());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use switchboard_core::{
        ActionStatus, AgentId, BackendKind, CallAction, CallId, CallState, CallSummary, ContactId, ControlAction,
        Speaker, TranscriptLine, UnixMillis,
    };

    use super::readable;
    use crate::history::CallRecord;

    #[test]
    fn the_readable_transcript_has_the_dispatchers_actions_where_they_were_taken() {
        let call = CallSummary {
            id: CallId(7),
            contact_id: ContactId(1),
            contact_name: "Acme".into(),
            agent_id: AgentId(1),
            agent_name: "Quote".into(),
            backend: BackendKind::Pipeline,
            phone: "+13125550143".into(),
            state: CallState::Completed,
            end_reason: Some("transferred to the dispatcher".into()),
            created_at: UnixMillis(0),
            answered_at: Some(UnixMillis(1_000)),
            ended_at: Some(UnixMillis(20_000)),
            campaign_id: None,
            round: None,
            attempt: None,
        };
        let line = |seq, speaker, text: &str, offset_ms| TranscriptLine { seq, speaker, text: text.into(), offset_ms };
        let action = |id, action, text: &str, at| CallAction {
            id,
            call_id: CallId(7),
            action,
            text: text.into(),
            status: ActionStatus::Done,
            result: None,
            requested_at: UnixMillis(at),
            done_at: None,
        };
        let record = CallRecord {
            call,
            transcript: vec![line(0, Speaker::Agent, "Hello", 0), line(1, Speaker::Callee, "Ten dollars", 6_000)],
            fields: Vec::new(),
            offer: None,
            outcome: None,
            cost: None,
            price: None,
            provider_refs: BTreeMap::new(),
            provider_record: None,
            recording: None,
            latencies: Vec::new(),
            audio_pacing: None,
            heard: None,
            actions: vec![
                action(1, ControlAction::Steer, "ask about freight", 4_000),
                action(2, ControlAction::TakeOver, "+13125550199", 9_000),
            ],
        };
        let text = readable(&record);
        let transcript: Vec<&str> = text.lines().skip_while(|line| !line.is_empty()).skip(1).collect();
        assert_eq!(
            transcript,
            [
                "[00:00] Quote: Hello",
                "[00:03] dispatcher: note to the agent: ask about freight",
                "[00:06] Acme: Ten dollars",
                "[00:08] dispatcher: took the call over on +13125550199",
            ]
        );
    }
}
