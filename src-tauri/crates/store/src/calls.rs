//! Call repository: call rows, their forward-only state, transcripts and collected fields.

use crate::db::{Conn, Row, params};
use switchboard_core::{
    AgentId, BackendKind, CallId, CallState, CallSummary, ContactId, Speaker, TranscriptLine, Transition, UnixMillis,
    asks_not_to_be_called,
};

use crate::{Result, Store, StoreError};

/// A call about to be placed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub contact_id: ContactId,
    pub agent_id: AgentId,
    pub backend: BackendKind,
    pub phone_e164: String,
    pub created_at: UnixMillis,
    /// The campaign, round and attempt the call belongs to, if any.
    pub campaign: Option<(i64, u8, u32)>,
}

/// The columns [`read_summary`] reads, in order (`c` = calls, `ct` = contacts, `a` = agents).
macro_rules! summary_columns {
    () => {
        "c.id, c.contact_id, ct.name, c.agent_id, a.name, c.backend, c.phone_e164, c.state, c.end_reason,
         c.created_at, c.answered_at, c.ended_at, c.campaign_id, c.round, c.attempt"
    };
}
pub(crate) use summary_columns;

/// How many columns [`summary_columns`] lists.
pub(crate) const SUMMARY_COLUMNS: usize = 15;

/// The tables a summary reads besides `calls c`.
macro_rules! summary_joins {
    () => {
        "JOIN contacts ct ON ct.id = c.contact_id JOIN agents a ON a.id = c.agent_id"
    };
}
pub(crate) use summary_joins;

pub(crate) const SELECT_SUMMARY: &str = concat!("SELECT ", summary_columns!(), " FROM calls c ", summary_joins!());

impl Store {
    /// Stores a new call in the `queued` state, run by this store's node (when it registered
    /// one), and returns it. A campaign's call is linked to
    /// its target in the same transaction: no call is ever placed that its target does not
    /// name (a target without its call would be settled as never placed, and called again).
    pub fn insert_call(&self, call: &NewCall) -> Result<CallSummary> {
        let id = {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            self.check_fence(&mut tx)?;
            let (campaign_id, round, attempt) = call.campaign.unzip3();
            let id = CallId(tx.query_row(
                "INSERT INTO calls (contact_id, agent_id, backend, phone_e164, state, created_at, campaign_id, round, attempt, node_id)
                 VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?8, ?9) RETURNING id",
                params![
                    call.contact_id.0,
                    call.agent_id.0,
                    call.backend.as_str(),
                    call.phone_e164,
                    call.created_at.0,
                    campaign_id,
                    round,
                    attempt,
                    self.node()
                ],
                |row| row.get(0),
            )?);
            if let Some((campaign_id, round, _)) = call.campaign {
                tx.execute(
                    "UPDATE campaign_targets SET call_id = ?4 WHERE campaign_id = ?1 AND round = ?2 AND contact_id = ?3",
                    params![campaign_id, round, call.contact_id.0, id.0],
                )?;
            }
            tx.commit()?;
            id
        };
        self.call(id)?.ok_or_else(|| StoreError::NotFound(format!("call {id}")))
    }

    /// Moves a call to `next` if that is a step forward (see [`CallState::transition_to`]).
    /// Returns the updated call, or `None` when the event was late or a duplicate and changed
    /// nothing. `reason` is stored with a terminal state.
    pub fn advance_call(
        &self,
        id: CallId,
        next: CallState,
        reason: Option<&str>,
        at: UnixMillis,
    ) -> Result<Option<CallSummary>> {
        {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            self.check_fence(&mut tx)?;
            if !advance_in(&mut tx, id, next, reason, at)? {
                return Ok(None);
            }
            crate::failpoint!("call-state-before-commit");
            tx.commit()?;
        }
        self.call(id)
    }

    /// Records the provider's id for the call (Twilio call SID, conversation id, …).
    pub fn set_provider_call_id(&self, id: CallId, provider_call_id: &str) -> Result<()> {
        self.conn()?
            .execute("UPDATE calls SET provider_call_id = ?2 WHERE id = ?1", params![id.0, provider_call_id])?;
        Ok(())
    }

    /// The call a provider knows by `provider_call_id` (what [`Store::set_provider_call_id`] stored,
    /// else one of its [provider refs](Store::set_provider_ref)).
    pub fn call_by_provider_id(&self, provider_call_id: &str) -> Result<Option<CallSummary>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(
            &format!("{SELECT_SUMMARY} WHERE c.provider_call_id = ?1 ORDER BY c.id DESC LIMIT 1"),
            params![provider_call_id],
            read_summary,
        )?;
        if row.is_some() {
            return Ok(row);
        }
        // A call bridged across providers is known to the others by its provider refs (kept,
        // indexed, in `call_provider_refs`).
        let row = conn.query_opt(
            &format!("{SELECT_SUMMARY} WHERE c.id = (SELECT MAX(call_id) FROM call_provider_refs WHERE ref = ?1)"),
            params![provider_call_id],
            read_summary,
        )?;
        Ok(row)
    }

    /// Appends a transcript line; a line already stored (same call and seq) is left as it was.
    /// Returns whether the line was new.
    pub fn append_transcript(&self, id: CallId, line: &TranscriptLine) -> Result<bool> {
        append_line(&mut *self.conn()?, id, line)
    }

    /// Records (or corrects) one value the agent collected.
    pub fn record_field(&self, id: CallId, key: &str, value: &str) -> Result<()> {
        record_field(&mut *self.conn()?, id, key, value)
    }

    /// One call.
    pub fn call(&self, id: CallId) -> Result<Option<CallSummary>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(&format!("{SELECT_SUMMARY} WHERE c.id = ?1"), params![id.0], read_summary)?;
        Ok(row)
    }

    /// The most recent calls, newest first.
    pub fn list_calls(&self, limit: u32) -> Result<Vec<CallSummary>> {
        let mut conn = self.conn()?;
        let rows =
            conn.query_map(&format!("{SELECT_SUMMARY} ORDER BY c.id DESC LIMIT ?1"), params![limit], read_summary)?;
        Ok(rows)
    }

    /// Every call with one contact, newest first.
    pub fn calls_with_contact(&self, contact_id: ContactId) -> Result<Vec<CallSummary>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            &format!("{SELECT_SUMMARY} WHERE c.contact_id = ?1 ORDER BY c.id DESC"),
            params![contact_id.0],
            read_summary,
        )?;
        Ok(rows)
    }

    /// Every call of a campaign, oldest first.
    pub fn calls_in_campaign(&self, campaign_id: i64) -> Result<Vec<CallSummary>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            &format!("{SELECT_SUMMARY} WHERE c.campaign_id = ?1 ORDER BY c.id"),
            params![campaign_id],
            read_summary,
        )?;
        Ok(rows)
    }

    /// Calls not yet in a terminal state.
    pub fn open_calls(&self) -> Result<Vec<CallId>> {
        let mut conn = self.conn()?;
        let rows = conn
            .query_map("SELECT id FROM calls WHERE ended_at IS NULL ORDER BY id", &[], |row| Ok(CallId(row.get(0)?)))?;
        Ok(rows)
    }

    /// A call's transcript, in order.
    pub fn transcript(&self, id: CallId) -> Result<Vec<TranscriptLine>> {
        transcript(&mut *self.conn()?, id)
    }

    /// The values the agent collected on a call, by key.
    pub fn collected_fields(&self, id: CallId) -> Result<Vec<(String, String)>> {
        collected_fields(&mut *self.conn()?, id)
    }

    /// The transcript position of the callee line that gave value `key` on call `id`, if the
    /// value was collected after a callee line.
    pub fn field_line(&self, id: CallId, key: &str) -> Result<Option<u32>> {
        let mut conn = self.conn()?;
        let seq = conn.query_opt(
            "SELECT line_seq FROM collected_fields WHERE call_id = ?1 AND key = ?2",
            params![id.0, key],
            |row| row.get::<Option<u32>>(0),
        )?;
        Ok(seq.flatten())
    }
}

/// The values collected on call `id`, by key.
pub(crate) fn collected_fields(conn: &mut Conn, id: CallId) -> Result<Vec<(String, String)>> {
    let rows = conn.query_map(
        "SELECT key, value FROM collected_fields WHERE call_id = ?1 ORDER BY key",
        params![id.0],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(rows)
}

/// Call `id`'s transcript, in order.
pub(crate) fn transcript(conn: &mut Conn, id: CallId) -> Result<Vec<TranscriptLine>> {
    let rows = conn.query_map(
        "SELECT seq, speaker, text, offset_ms FROM transcript_lines WHERE call_id = ?1 ORDER BY seq",
        params![id.0],
        |row| {
            let speaker: String = row.get(1)?;
            Ok((row.get(0)?, speaker, row.get(2)?, row.get(3)?))
        },
    )?;
    rows.into_iter()
        .map(|(seq, speaker, text, offset_ms): (u32, String, String, _)| {
            let speaker = Speaker::parse(&speaker)
                .ok_or_else(|| StoreError::Corrupt(format!("call {id} line {seq} has speaker {speaker:?}")))?;
            Ok(TranscriptLine { seq, speaker, text, offset_ms })
        })
        .collect()
}

/// Appends a transcript line unless stored already; returns whether it was new. A callee who
/// asks in it never to be called again is marked do-not-call with it.
pub(crate) fn append_line(conn: &mut Conn, id: CallId, line: &TranscriptLine) -> Result<bool> {
    let inserted = conn.execute(
        "INSERT INTO transcript_lines (call_id, seq, speaker, text, offset_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        params![id.0, line.seq, line.speaker.as_str(), line.text, line.offset_ms],
    )?;
    if inserted == 1 && line.speaker == Speaker::Callee && asks_not_to_be_called(&line.text) {
        mark_do_not_call(conn, id)?;
    }
    Ok(inserted == 1)
}

/// Records (or corrects) one collected value, with the callee's latest line as the one that
/// gave it.
pub(crate) fn record_field(conn: &mut Conn, id: CallId, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO collected_fields (call_id, key, value, line_seq) VALUES (?1, ?2, ?3,
             (SELECT MAX(seq) FROM transcript_lines WHERE call_id = ?1 AND speaker = 'callee'))
         ON CONFLICT(call_id, key) DO UPDATE SET value = excluded.value, line_seq = excluded.line_seq",
        params![id.0, key, value],
    )?;
    Ok(())
}

/// Moves call `id` to `next` inside `tx` if that is a step forward; returns whether it did.
pub(crate) fn advance_in(
    tx: &mut Conn,
    id: CallId,
    next: CallState,
    reason: Option<&str>,
    at: UnixMillis,
) -> Result<bool> {
    let current: String = tx
        .query_opt("SELECT state FROM calls WHERE id = ?1", params![id.0], |row| row.get(0))?
        .ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
    let current =
        CallState::parse(&current).ok_or_else(|| StoreError::Corrupt(format!("call {id} has state {current:?}")))?;
    if current.transition_to(next) == Transition::Ignore {
        return Ok(false);
    }
    let ended_at = next.is_terminal().then_some(at.0);
    let answered_at = (next == CallState::InProgress).then_some(at.0);
    tx.execute(
        "UPDATE calls SET state = ?2,
                end_reason = COALESCE(?3, end_reason),
                answered_at = COALESCE(answered_at, ?4),
                ended_at = ?5
         WHERE id = ?1",
        params![id.0, next.as_str(), reason, answered_at, ended_at],
    )?;
    Ok(true)
}

/// Splits an optional triple into three optionals (for nullable columns).
trait Unzip3<A, B, C> {
    fn unzip3(self) -> (Option<A>, Option<B>, Option<C>);
}

impl<A, B, C> Unzip3<A, B, C> for Option<(A, B, C)> {
    fn unzip3(self) -> (Option<A>, Option<B>, Option<C>) {
        match self {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        }
    }
}

pub(crate) fn read_summary(row: &Row<'_>) -> Result<CallSummary> {
    let id: i64 = row.get(0)?;
    let backend: String = row.get(5)?;
    let state: String = row.get(7)?;
    let (Some(backend), Some(state)) = (BackendKind::parse(&backend), CallState::parse(&state)) else {
        return Err(StoreError::Corrupt(format!("call {id} has backend {backend:?} and state {state:?}")));
    };
    Ok(CallSummary {
        id: CallId(id),
        contact_id: ContactId(row.get(1)?),
        contact_name: row.get(2)?,
        agent_id: AgentId(row.get(3)?),
        agent_name: row.get(4)?,
        backend,
        phone: row.get(6)?,
        state,
        end_reason: row.get(8)?,
        created_at: UnixMillis(row.get(9)?),
        answered_at: row.get::<Option<i64>>(10)?.map(UnixMillis),
        ended_at: row.get::<Option<i64>>(11)?.map(UnixMillis),
        campaign_id: row.get(12)?,
        round: row.get(13)?,
        attempt: row.get(14)?,
    })
}

/// Marks the contact of call `id` do-not-call: the callee asked on the call never to be called
/// again, so no later call, round or campaign dials them (whatever the agent did about it).
fn mark_do_not_call(conn: &mut Conn, id: CallId) -> Result<()> {
    conn.execute(
        "UPDATE contacts SET do_not_call = 1 WHERE id = (SELECT contact_id FROM calls WHERE id = ?1)",
        params![id.0],
    )?;
    Ok(())
}
