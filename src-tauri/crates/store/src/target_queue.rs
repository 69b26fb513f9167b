//! What a campaign step reads of a round, each read in proportion to the step's work (calls that
//! ended, calls it may start), never the whole round: through the `campaign_targets_queue` and
//! `campaign_targets_retries` indexes.

use switchboard_core::{CallState, ContactId, UnixMillis};

use crate::campaigns::{TARGET_COLUMNS, read_target, target_columns};
use crate::db::params;
use crate::{Result, Store, StoreError, TargetRow};

/// A target on the line to settle: its call ended, or was never placed
/// ([`Store::ended_on_the_line`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EndedTarget {
    pub target: TargetRow,
    /// How its call ended; `None` when no call was stored for it.
    pub call: Option<CallEnd>,
}

/// How a target's call ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEnd {
    pub state: CallState,
    pub reason: Option<String>,
    /// Whether the call yielded an offer.
    pub quoted: bool,
}

/// The statuses of a target not settled yet (the others, `done` and `skipped`, are final):
/// every status the table's check allows but those two.
const UNSETTLED: &str = "('pending', 'calling', 'canceled')";

impl Store {
    /// The targets of round `round` of campaign `id` on the line whose call has ended or was
    /// never placed, in contact order, leaving out those another live owner than `owner`
    /// leases at `now` (it settles them).
    pub fn ended_on_the_line(&self, id: i64, round: u8, owner: &str, now: UnixMillis) -> Result<Vec<EndedTarget>> {
        let mut conn = self.conn()?;
        conn.query_map(
            concat!(
                "SELECT ",
                target_columns!(),
                ", c.state, c.end_reason, EXISTS (SELECT 1 FROM offers o WHERE o.call_id = c.id)
                 FROM campaign_targets t LEFT JOIN calls c ON c.id = t.call_id
                 WHERE t.campaign_id = ?1 AND t.round = ?2 AND t.status = 'calling'
                   AND (c.id IS NULL OR c.ended_at IS NOT NULL)
                   AND (t.lease_owner IS NULL OR t.lease_owner = ?3 OR t.lease_expires_at IS NULL
                        OR t.lease_expires_at <= ?4)
                 ORDER BY t.contact_id"
            ),
            params![id, round, owner, now.0],
            |row| {
                let target = read_target(row)?;
                let Some(state) = row.get::<Option<String>>(TARGET_COLUMNS)? else {
                    return Ok(EndedTarget { target, call: None });
                };
                let state = CallState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("a call of campaign {id} has state {state:?}")))?;
                let reason = row.get(TARGET_COLUMNS + 1)?;
                let quoted = row.get(TARGET_COLUMNS + 2)?;
                Ok(EndedTarget { target, call: Some(CallEnd { state, reason, quoted }) })
            },
        )
    }

    /// How many targets of round `round` of campaign `id` are on the line, whichever node placed them.
    pub fn on_the_line(&self, id: i64, round: u8) -> Result<u32> {
        self.conn()?.query_row(
            "SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ?1 AND round = ?2 AND status = 'calling'",
            params![id, round],
            |row| row.get(0),
        )
    }

    /// Up to `limit` pending targets of round `round` of campaign `id` due at `now` (no time set
    /// for their next attempt, or one passed), in contact order from contact `from` on, and
    /// before contact `before` when one is given.
    pub fn due_targets(
        &self,
        id: i64,
        round: u8,
        now: UnixMillis,
        (from, before): (ContactId, Option<ContactId>),
        limit: u32,
    ) -> Result<Vec<TargetRow>> {
        let mut conn = self.conn()?;
        conn.query_map(
            concat!(
                "SELECT ",
                target_columns!(),
                " FROM campaign_targets t
                 WHERE t.campaign_id = ?1 AND t.round = ?2 AND t.status = 'pending'
                   AND t.contact_id >= ?3 AND t.contact_id < ?4
                   AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= ?5)
                 ORDER BY t.contact_id LIMIT ?6"
            ),
            params![id, round, from.0, before.map_or(i64::MAX, |c| c.0), now.0, limit],
            read_target,
        )
    }

    /// When the next pending target of round `round` of campaign `id` waiting past `now` is due.
    pub fn next_retry(&self, id: i64, round: u8, now: UnixMillis) -> Result<Option<UnixMillis>> {
        let at: Option<i64> = self.conn()?.query_opt(
            "SELECT next_attempt_at FROM campaign_targets
             WHERE campaign_id = ?1 AND round = ?2 AND status = 'pending' AND next_attempt_at > ?3
             ORDER BY next_attempt_at LIMIT 1",
            params![id, round, now.0],
            |row| row.get(0),
        )?;
        Ok(at.map(UnixMillis))
    }

    /// Whether every target of round `round` of campaign `id` is settled (`done` or `skipped`).
    pub fn round_settled(&self, id: i64, round: u8) -> Result<bool> {
        let unsettled: bool = self.conn()?.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM campaign_targets
                                WHERE campaign_id = ?1 AND round = ?2 AND status IN {UNSETTLED})"
            ),
            params![id, round],
            |row| row.get(0),
        )?;
        Ok(!unsettled)
    }

    /// The contact of the target `fraction` (0 to 1) of the way through round `round` of
    /// campaign `id`, in contact order; `None` when the round has no target.
    pub fn round_contact_at(&self, id: i64, round: u8, fraction: f64) -> Result<Option<ContactId>> {
        let mut conn = self.conn()?;
        let count: i64 = conn.query_row(
            "SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ?1 AND round = ?2",
            params![id, round],
            |row| row.get(0),
        )?;
        if count == 0 {
            return Ok(None);
        }
        let offset = ((count as f64 * fraction.clamp(0.0, 1.0)) as i64).min(count - 1);
        conn.query_opt(
            "SELECT contact_id FROM campaign_targets WHERE campaign_id = ?1 AND round = ?2
             ORDER BY contact_id LIMIT 1 OFFSET ?3",
            params![id, round, offset],
            |row| Ok(ContactId(row.get(0)?)),
        )
    }
}
