//! A call's end as one transaction: its last transcript lines and collected fields, the offer
//! they make and the terminal state commit together or not at all, so a crash or a failed
//! write never leaves an offer on an open call.

use crate::db::{Conn, params};
use switchboard_core::{
    AudioPacing, CallId, CallState, CallSummary, ContactId, HeardLatency, Offer, Pricing, TranscriptLine, TurnLatency,
    UnixMillis,
};

use crate::call_cost::price_ended_call;
use crate::call_record::{record_audio_pacing, record_heard_latency, record_turn_latency};
use crate::calls::{advance_in, append_line, collected_fields, record_field};
use crate::offers::save_offer;
use crate::{Result, Store, StoreError};

/// Lines, collected values and measures a call reported together (with its end, or in one
/// burst), committed in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallProgress {
    /// Transcript lines; a line stored already (same seq) is left as it was.
    pub lines: Vec<TranscriptLine>,
    /// Values collected (key, value); a later value for a key corrects the earlier.
    pub fields: Vec<(String, String)>,
    /// Per-turn latencies; a turn recorded already is replaced.
    pub turn_latencies: Vec<TurnLatency>,
    /// What the callee heard, read from the recording (replaces what was recorded).
    pub heard: Option<HeardLatency>,
    /// How well the agent's audio kept time (replaces what was recorded).
    pub pacing: Option<AudioPacing>,
}

impl CallProgress {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
            && self.fields.is_empty()
            && self.turn_latencies.is_empty()
            && self.heard.is_none()
            && self.pacing.is_none()
    }
}

/// What a call's end committed.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEnded {
    /// The ended call, or `None` when it had ended already (the end changed nothing).
    pub call: Option<CallSummary>,
    /// The offer its collected fields make, saved with the end.
    pub offer: Option<Offer>,
    /// The lines that were new.
    pub new_lines: Vec<TranscriptLine>,
}

impl Store {
    /// Stores `progress` in one transaction; returns the lines that were new.
    pub fn record_progress(&self, id: CallId, progress: &CallProgress) -> Result<Vec<TranscriptLine>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let new_lines = write_progress(&mut tx, id, progress)?;
        crate::failpoint!("call-progress-before-commit");
        tx.commit()?;
        Ok(new_lines)
    }

    /// Ends call `id` in `state` (terminal) with `reason`, in one transaction with the lines and
    /// fields that came with the end, the offer the call's fields make and its price by
    /// `pricing`. A call that had ended already keeps its state and gains no offer or price (the
    /// lines and fields are still stored).
    pub fn end_call(
        &self,
        id: CallId,
        state: CallState,
        reason: &str,
        at: UnixMillis,
        progress: &CallProgress,
        pricing: Option<&Pricing>,
    ) -> Result<CallEnded> {
        let (ended, offer, new_lines) = {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            self.check_fence(&mut tx)?;
            let new_lines = write_progress(&mut tx, id, progress)?;
            let ended = advance_in(&mut tx, id, state, Some(reason), at)?;
            let offer = if ended { offer_of(&mut tx, id)? } else { None };
            if let Some(offer) = &offer {
                save_offer(&mut tx, offer)?;
            }
            if let Some(pricing) = pricing.filter(|_| ended) {
                price_ended_call(&mut tx, id, at, pricing)?;
            }
            crate::failpoint!("call-end-before-commit");
            tx.commit()?;
            (ended, offer, new_lines)
        };
        let call = if ended { self.call(id)? } else { None };
        Ok(CallEnded { call, offer, new_lines })
    }
}

fn write_progress(conn: &mut Conn, id: CallId, progress: &CallProgress) -> Result<Vec<TranscriptLine>> {
    let mut new_lines = Vec::new();
    for line in &progress.lines {
        if append_line(conn, id, line)? {
            new_lines.push(line.clone());
        }
    }
    for (key, value) in &progress.fields {
        record_field(conn, id, key, value)?;
    }
    for latency in &progress.turn_latencies {
        record_turn_latency(conn, id, latency)?;
    }
    if let Some(heard) = &progress.heard {
        record_heard_latency(conn, id, heard)?;
    }
    if let Some(pacing) = &progress.pacing {
        record_audio_pacing(conn, id, pacing)?;
    }
    Ok(new_lines)
}

/// The offer call `id`'s collected fields make, if any.
fn offer_of(conn: &mut Conn, id: CallId) -> Result<Option<Offer>> {
    let contact: i64 = conn
        .query_opt("SELECT contact_id FROM calls WHERE id = ?1", params![id.0], |row| row.get(0))?
        .ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
    let fields = collected_fields(conn, id)?;
    Ok(Offer::from_fields(id, ContactId(contact), fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
}
