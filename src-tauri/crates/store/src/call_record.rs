//! What is kept about a call beyond its summary and transcript: cost, provider ids and record,
//! per-turn latency, how well its audio kept time, and how its campaign judged it.

use std::collections::BTreeMap;

use crate::db::{Conn, Dialect, params};
use switchboard_core::{AudioPacing, CallCost, CallId, HeardLatency, TurnLatency};

use crate::{Result, Store, StoreError};

/// The provider-side facts of a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderFacts {
    pub cost: Option<CallCost>,
    /// Provider ids by name ("Twilio call SID" → "CA…").
    pub refs: BTreeMap<String, String>,
    /// The provider's own record of the call, as received (JSON).
    pub record: Option<String>,
}

impl Store {
    /// Adds (or replaces) one provider id of a call.
    pub fn set_provider_ref(&self, id: CallId, name: &str, value: &str) -> Result<()> {
        let mut conn = self.conn()?;
        let sql = match conn.dialect() {
            Dialect::Sqlite => {
                "UPDATE calls SET provider_refs = json_set(provider_refs, '$.' || json_quote(?2), ?3) WHERE id = ?1"
            }
            Dialect::Postgres => {
                "UPDATE calls SET provider_refs = (provider_refs::jsonb || jsonb_build_object(?2::text, ?3::text))::text
                 WHERE id = ?1"
            }
        };
        conn.execute(sql, params![id.0, name, value])?;
        Ok(())
    }

    /// Keeps the message `id` leaves on an answering machine (`None`: it hangs up instead).
    pub fn set_voicemail_message(&self, id: CallId, message: Option<&str>) -> Result<()> {
        self.conn()?.execute("UPDATE calls SET voicemail_message = ?2 WHERE id = ?1", params![id.0, message])?;
        Ok(())
    }

    /// The message `id` leaves on an answering machine, as kept when it was placed (`None`:
    /// hang up, or nothing was kept).
    pub fn voicemail_message(&self, id: CallId) -> Result<Option<String>> {
        let mut conn = self.conn()?;
        conn.query_opt("SELECT voicemail_message FROM calls WHERE id = ?1", params![id.0], |row| row.get(0))?
            .ok_or_else(|| StoreError::NotFound(format!("call {id}")))
    }

    /// Keeps the provider's own record of the call (a JSON document).
    pub fn set_provider_record(&self, id: CallId, record: &str) -> Result<()> {
        self.conn()?.execute("UPDATE calls SET provider_record = ?2 WHERE id = ?1", params![id.0, record])?;
        Ok(())
    }

    /// Cost, provider ids and provider record of a call.
    pub fn provider_facts(&self, id: CallId) -> Result<ProviderFacts> {
        let mut conn = self.conn()?;
        let (amount, currency, refs, record): (Option<f64>, Option<String>, String, Option<String>) = conn
            .query_opt(
                "SELECT cost_amount, cost_currency, provider_refs, provider_record FROM calls WHERE id = ?1",
                params![id.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )?
            .ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
        let refs =
            serde_json::from_str(&refs).map_err(|err| StoreError::Corrupt(format!("call {id} provider ids: {err}")))?;
        let cost = amount.zip(currency).map(|(amount, currency)| CallCost { amount, currency });
        Ok(ProviderFacts { cost, refs, record })
    }

    /// Records how long one agent turn took at each hop.
    pub fn record_turn_latency(&self, id: CallId, latency: &TurnLatency) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        record_turn_latency(&mut tx, id, latency)?;
        tx.commit()
    }

    /// A call's per-turn latencies, in turn order.
    pub fn turn_latencies(&self, id: CallId) -> Result<Vec<TurnLatency>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            "SELECT turn, stt_ms, llm_ms, tts_ms, send_ms FROM turn_latencies WHERE call_id = ?1 ORDER BY turn",
            params![id.0],
            |row| {
                Ok(TurnLatency {
                    turn: row.get(0)?,
                    stt_ms: row.get(1)?,
                    llm_ms: row.get(2)?,
                    tts_ms: row.get(3)?,
                    send_ms: row.get(4)?,
                })
            },
        )?;
        Ok(rows)
    }

    /// Records what the callee heard on the call, read from its recording.
    pub fn record_heard_latency(&self, id: CallId, heard: &HeardLatency) -> Result<()> {
        record_heard_latency(&mut *self.conn()?, id, heard)
    }

    /// What the callee heard on the call, when it was read from its recording.
    pub fn heard_latency(&self, id: CallId) -> Result<Option<HeardLatency>> {
        self.conn()?.query_opt(
                "SELECT first_words_ms, replies, reply_median_ms, reply_worst_ms FROM call_heard_latency WHERE call_id = ?1",
            params![id.0], |row| {
                Ok(HeardLatency {
                    first_words_ms: row.get(0)?,
                    replies: row.get(1)?,
                    reply_median_ms: row.get(2)?,
                    reply_worst_ms: row.get(3)?,
                })
            })
    }

    /// Records how well the agent's audio kept time on the call.
    pub fn record_audio_pacing(&self, id: CallId, pacing: &AudioPacing) -> Result<()> {
        record_audio_pacing(&mut *self.conn()?, id, pacing)
    }

    /// How well the agent's audio kept time on the call (`None`: the engine did not voice it).
    pub fn audio_pacing(&self, id: CallId) -> Result<Option<AudioPacing>> {
        self.conn()?.query_opt(
            "SELECT frames, late, worst_gap_ms FROM call_audio_pacing WHERE call_id = ?1",
            params![id.0],
            |row| Ok(AudioPacing { frames: row.get(0)?, late: row.get(1)?, worst_gap_ms: row.get(2)? }),
        )
    }

    /// How the call's campaign recorded the target this call was for, if it was a campaign call.
    pub fn campaign_outcome(&self, id: CallId) -> Result<Option<String>> {
        let mut conn = self.conn()?;
        Ok(conn
            .query_opt("SELECT outcome FROM campaign_targets WHERE call_id = ?1", params![id.0], |row| row.get(0))?
            .flatten())
    }
}

/// Records how long one agent turn of call `id` took at each hop, inside a transaction (a turn
/// recorded again is deleted and inserted anew, so the triggers move its count between buckets).
pub(crate) fn record_turn_latency(conn: &mut Conn, id: CallId, latency: &TurnLatency) -> Result<()> {
    conn.execute("DELETE FROM turn_latencies WHERE call_id = ?1 AND turn = ?2", params![id.0, latency.turn])?;
    conn.execute(
        "INSERT INTO turn_latencies (call_id, turn, stt_ms, llm_ms, tts_ms, send_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id.0, latency.turn, latency.stt_ms, latency.llm_ms, latency.tts_ms, latency.send_ms],
    )?;
    Ok(())
}

/// Records what the callee heard on call `id` (replacing what was recorded).
pub(crate) fn record_heard_latency(conn: &mut Conn, id: CallId, heard: &HeardLatency) -> Result<()> {
    conn.execute(
        "INSERT INTO call_heard_latency (call_id, first_words_ms, replies, reply_median_ms, reply_worst_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (call_id) DO UPDATE SET first_words_ms = excluded.first_words_ms, replies = excluded.replies,
             reply_median_ms = excluded.reply_median_ms, reply_worst_ms = excluded.reply_worst_ms",
        params![id.0, heard.first_words_ms, heard.replies, heard.reply_median_ms, heard.reply_worst_ms],
    )?;
    Ok(())
}

/// Records how well the agent's audio kept time on call `id` (replacing what was recorded).
pub(crate) fn record_audio_pacing(conn: &mut Conn, id: CallId, pacing: &AudioPacing) -> Result<()> {
    conn.execute(
        "INSERT INTO call_audio_pacing (call_id, frames, late, worst_gap_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (call_id) DO UPDATE SET frames = excluded.frames, late = excluded.late,
             worst_gap_ms = excluded.worst_gap_ms",
        params![id.0, pacing.frames, pacing.late, pacing.worst_gap_ms],
    )?;
    Ok(())
}
