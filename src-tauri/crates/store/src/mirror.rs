//! A copy of calls another store showed (a console's offline copy of its team server's History):
//! written into the same tables, so History's own queries and transcript search read them back.

use switchboard_core::{
    AudioPacing, CallAction, CallId, CallPrice, CallSummary, HeardLatency, Offer, RecordingInfo, TranscriptLine,
    TurnLatency, UnixMillis,
};

use crate::call_cost::write_price;
use crate::call_record::{ProviderFacts, record_audio_pacing, record_heard_latency, record_turn_latency};
use crate::db::{Conn, params};
use crate::offers::save_offer;
use crate::{Result, Store, StoreError};

/// Where the `meta` table notes that a call's whole record is in the copy (`mirrored:<id>`).
const MIRRORED: &str = "mirrored:";

/// The tables holding what is kept of a call beyond its row, each keyed by `call_id`.
const KEPT_WITH_A_CALL: [&str; 9] = [
    "transcript_lines",
    "collected_fields",
    "offers",
    "turn_latencies",
    "call_actions",
    "call_audio_pacing",
    "call_heard_latency",
    "recordings",
    "call_cost_items",
];

/// A call as the other store showed it in full: everything History's call view reads.
#[derive(Debug, Clone)]
pub struct MirroredCall {
    pub call: CallSummary,
    pub transcript: Vec<TranscriptLine>,
    pub fields: Vec<(String, String)>,
    pub offer: Option<Offer>,
    pub outcome: Option<String>,
    pub facts: ProviderFacts,
    pub price: Option<CallPrice>,
    pub recording: Option<RecordingInfo>,
    pub latencies: Vec<TurnLatency>,
    pub audio_pacing: Option<AudioPacing>,
    pub heard: Option<HeardLatency>,
    pub actions: Vec<CallAction>,
}

impl Store {
    /// Keeps `calls` as shown (state, times, contact and agent names), in one transaction; what
    /// is kept of a call beyond its summary stays as it was.
    pub fn mirror_calls(&self, calls: &[CallSummary]) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        for call in calls {
            keep_summary(&mut tx, call)?;
        }
        tx.commit()
    }

    /// Keeps a call's whole record, replacing what was kept of it, in one transaction, and
    /// notes it was kept at `kept_at`.
    pub fn mirror_call(&self, record: &MirroredCall, kept_at: UnixMillis) -> Result<()> {
        let id = record.call.id;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        keep_summary(&mut tx, &record.call)?;
        for table in KEPT_WITH_A_CALL {
            tx.execute(&format!("DELETE FROM {table} WHERE call_id = ?1"), params![id.0])?;
        }
        for line in &record.transcript {
            tx.execute(
                "INSERT INTO transcript_lines (call_id, seq, speaker, text, offset_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id.0, line.seq, line.speaker.as_str(), line.text, line.offset_ms],
            )?;
        }
        for (key, value) in &record.fields {
            tx.execute(
                "INSERT INTO collected_fields (call_id, key, value) VALUES (?1, ?2, ?3)",
                params![id.0, key, value],
            )?;
        }
        if let Some(offer) = &record.offer {
            save_offer(&mut tx, offer)?;
        }
        keep_outcome(&mut tx, &record.call, record.outcome.as_deref())?;
        keep_facts(&mut tx, id, &record.facts)?;
        match &record.price {
            Some(price) => write_price(&mut *tx, id, price)?,
            None => {
                tx.execute("UPDATE calls SET cost_usd = NULL, cost_estimate = 0 WHERE id = ?1", params![id.0])?;
            }
        }
        if let Some(recording) = &record.recording {
            tx.execute(
                "INSERT INTO recordings (call_id, file, duration_ms, bytes, created_at, deleted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id.0,
                    recording.file,
                    recording.duration_ms,
                    recording.bytes,
                    recording.created_at.0,
                    recording.deleted_at.map(|at| at.0)
                ],
            )?;
        }
        for latency in &record.latencies {
            record_turn_latency(&mut tx, id, latency)?;
        }
        if let Some(pacing) = &record.audio_pacing {
            record_audio_pacing(&mut tx, id, pacing)?;
        }
        if let Some(heard) = &record.heard {
            record_heard_latency(&mut tx, id, heard)?;
        }
        for action in &record.actions {
            tx.execute(
                "INSERT INTO call_actions (id, call_id, action, text, status, result, requested_at, done_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    action.id,
                    id.0,
                    action.action.as_str(),
                    action.text,
                    action.status.as_str(),
                    action.result,
                    action.requested_at.0,
                    action.done_at.map(|at| at.0)
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![mirrored_key(id), kept_at.0.to_string()],
        )?;
        tx.commit()
    }

    /// Whether call `id`'s whole record is in the copy (not only its summary).
    pub fn is_mirrored(&self, id: CallId) -> Result<bool> {
        let mut conn = self.conn()?;
        let kept =
            conn.query_opt("SELECT 1 FROM meta WHERE key = ?1", params![mirrored_key(id)], |row| row.get::<i64>(0))?;
        Ok(kept.is_some())
    }

    /// Forgets every call but the `keep` newest (by id), with all that was kept of them; returns
    /// how many were forgotten.
    pub fn trim_mirror(&self, keep: u32) -> Result<usize> {
        let mut conn = self.conn()?;
        let oldest_kept: Option<i64> = conn.query_opt(
            "SELECT id FROM calls ORDER BY id DESC LIMIT 1 OFFSET ?1",
            params![keep.saturating_sub(1)],
            |row| row.get(0),
        )?;
        let Some(oldest_kept) = oldest_kept.filter(|_| keep > 0) else {
            return Ok(0);
        };
        let mut tx = conn.transaction()?;
        let forgotten: Vec<i64> =
            tx.query_map("SELECT id FROM calls WHERE id < ?1", params![oldest_kept], |row| row.get(0))?;
        tx.execute("DELETE FROM campaign_targets WHERE call_id < ?1", params![oldest_kept])?;
        for id in &forgotten {
            tx.execute("DELETE FROM meta WHERE key = ?1", params![mirrored_key(CallId(*id))])?;
        }
        tx.execute("DELETE FROM calls WHERE id < ?1", params![oldest_kept])?;
        tx.commit()?;
        Ok(forgotten.len())
    }
}

fn mirrored_key(id: CallId) -> String {
    format!("{MIRRORED}{}", id.0)
}

/// Writes a call's row (and the contact, agent and campaign rows it names, by id) as shown.
fn keep_summary(conn: &mut Conn, call: &CallSummary) -> Result<()> {
    let at = call.created_at.0;
    // Agents' names are unique: one renamed since makes way for the name shown.
    conn.execute(
        "UPDATE agents SET name = name || ' #' || id WHERE name = ?2 AND id <> ?1",
        params![call.agent_id.0, call.agent_name],
    )?;
    conn.execute(
        "INSERT INTO agents (id, name, backend, purpose, config, created_at) VALUES (?1, ?2, ?3, '', '{}', ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        params![call.agent_id.0, call.agent_name, call.backend.as_str(), at],
    )?;
    conn.execute(
        "INSERT INTO contacts (id, kind, name, phone, details, created_at) VALUES (?1, 'person', ?2, ?3, '{}', ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        params![call.contact_id.0, call.contact_name, call.phone, at],
    )?;
    if let Some(campaign) = call.campaign_id {
        conn.execute(
            "INSERT INTO campaigns (id, name, kind, status, spec, created_at)
             VALUES (?1, '', 'vendor-quote', 'completed', '{}', ?2) ON CONFLICT (id) DO NOTHING",
            params![campaign, at],
        )?;
    }
    conn.execute(
        "INSERT INTO calls (id, contact_id, agent_id, backend, phone_e164, state, end_reason, created_at, answered_at,
             ended_at, campaign_id, round, attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, agent_id = excluded.agent_id,
             backend = excluded.backend, phone_e164 = excluded.phone_e164, state = excluded.state,
             end_reason = excluded.end_reason, created_at = excluded.created_at, answered_at = excluded.answered_at,
             ended_at = excluded.ended_at, campaign_id = excluded.campaign_id, round = excluded.round,
             attempt = excluded.attempt",
        params![
            call.id.0,
            call.contact_id.0,
            call.agent_id.0,
            call.backend.as_str(),
            call.phone,
            call.state.as_str(),
            call.end_reason,
            at,
            call.answered_at.map(|at| at.0),
            call.ended_at.map(|at| at.0),
            call.campaign_id,
            call.round,
            call.attempt
        ],
    )?;
    Ok(())
}

/// How the call's campaign judged it: its target row (for this round) names the call.
fn keep_outcome(conn: &mut Conn, call: &CallSummary, outcome: Option<&str>) -> Result<()> {
    let (Some(campaign), Some(outcome)) = (call.campaign_id, outcome) else {
        return Ok(());
    };
    conn.execute(
        "INSERT INTO campaign_targets (campaign_id, round, contact_id, status, call_id, outcome)
         VALUES (?1, ?2, ?3, 'done', ?4, ?5)
         ON CONFLICT (campaign_id, round, contact_id) DO UPDATE SET call_id = excluded.call_id,
             outcome = excluded.outcome",
        params![campaign, call.round.unwrap_or(1), call.contact_id.0, call.id.0, outcome],
    )?;
    Ok(())
}

/// The provider's cost, ids and record of the call.
fn keep_facts(conn: &mut Conn, id: CallId, facts: &ProviderFacts) -> Result<()> {
    let refs = serde_json::to_string(&facts.refs)
        .map_err(|err| StoreError::Corrupt(format!("call {id} provider ids: {err}")))?;
    let (amount, currency) = facts.cost.as_ref().map(|cost| (cost.amount, cost.currency.as_str())).unzip();
    conn.execute(
        "UPDATE calls SET cost_amount = ?2, cost_currency = ?3, provider_refs = ?4, provider_record = ?5 WHERE id = ?1",
        params![id.0, amount, currency, refs, facts.record],
    )?;
    Ok(())
}
