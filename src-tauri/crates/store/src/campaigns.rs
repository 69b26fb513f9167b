//! Campaign repository: campaigns, their targets per round, and the compare-and-swap that moves
//! a campaign from one round to the next exactly once. A target is leased to the process that
//! reserves it (owner + expiry), so no other process dials a target a live one holds.

use std::collections::BTreeMap;

use crate::db::{Dialect, Row, params};
use switchboard_core::{CallId, ContactId, UnixMillis};

use crate::{Result, Store, StoreError};

/// A stored campaign. `spec` and `summary` are JSON owned by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    /// Why the campaign stopped, when its status is `error`, or why it paused itself
    /// ([`BUDGET_REACHED`]).
    pub status_reason: Option<String>,
    pub round: u8,
    pub spec: String,
    pub summary: Option<String>,
    pub created_at: UnixMillis,
    pub ended_at: Option<UnixMillis>,
    /// A cancel asked to end the campaign's calls on the line (carried out by its runner).
    pub end_calls: bool,
    /// The most the campaign may spend, in US dollars (`None`: no budget).
    pub budget_usd: Option<f64>,
}

/// The `status_reason` of a campaign that paused itself because its next call would pass its
/// budget.
pub const BUDGET_REACHED: &str = "budget reached";

/// One contact to call in one round of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub campaign_id: i64,
    pub round: u8,
    pub contact_id: ContactId,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<UnixMillis>,
    pub call_id: Option<CallId>,
    pub outcome: Option<String>,
    pub variables: BTreeMap<String, String>,
    /// Who reserved the target last ([`Lease::owner`]) and until when the lease holds.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<UnixMillis>,
}

impl TargetRow {
    /// Whether another owner than `owner` holds this target's lease at `now`.
    pub fn leased_by_other(&self, owner: &str, now: UnixMillis) -> bool {
        matches!((&self.lease_owner, self.lease_expires_at), (Some(other), Some(until)) if other != owner && until.0 > now.0)
    }
}

/// What reserving a target came to ([`Store::target_reserve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Claimed for this attempt (its number).
    Claimed(u32),
    /// Not pending, held by another live owner or node, or writes are failing.
    Taken,
    /// The campaign has as many calls on the line as it may.
    Full,
}

/// A lease on the targets one process reserves: its owner id, held until `until` unless renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub now: UnixMillis,
    pub until: UnixMillis,
}

const SELECT_CAMPAIGN: &str = "SELECT id, name, kind, status, round, spec, summary, created_at, ended_at, end_calls, status_reason, budget_usd FROM campaigns";
/// The columns [`read_target`] reads, in order (`t` = campaign_targets).
macro_rules! target_columns {
    () => {
        "t.campaign_id, t.round, t.contact_id, t.status, t.attempts, t.next_attempt_at, t.call_id, t.outcome,
         t.variables, t.lease_owner, t.lease_expires_at"
    };
}
pub(crate) use target_columns;

/// How many columns [`target_columns`] lists.
pub(crate) const TARGET_COLUMNS: usize = 11;

pub(crate) const SELECT_TARGET: &str = concat!("SELECT ", target_columns!(), " FROM campaign_targets t");

impl Store {
    /// Stores a new running campaign with its round-1 targets, in one transaction. Its budget
    /// is the spec's `budgetUsd`, when it has one.
    pub fn insert_campaign(
        &self,
        name: &str,
        kind: &str,
        spec: &str,
        contacts: &[ContactId],
        now: UnixMillis,
    ) -> Result<i64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let id: i64 = tx.query_row(
            "INSERT INTO campaigns (name, kind, status, round, spec, created_at, budget_usd)
             VALUES (?1, ?2, 'running', 1, ?3, ?4, CAST(json_extract(?3, '$.budgetUsd') AS DOUBLE PRECISION))
             RETURNING id",
            params![name, kind, spec, now.0],
            |row| row.get(0),
        )?;
        for contact in contacts {
            tx.execute(
                "INSERT INTO campaign_targets (campaign_id, round, contact_id, status) VALUES (?1, 1, ?2, 'pending')
                 ON CONFLICT DO NOTHING",
                params![id, contact.0],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// One campaign.
    pub fn campaign(&self, id: i64) -> Result<Option<CampaignRow>> {
        let mut conn = self.conn()?;
        conn.query_opt(&format!("{SELECT_CAMPAIGN} WHERE id = ?1"), params![id], read_campaign)
    }

    /// Every campaign, newest first.
    pub fn list_campaigns(&self) -> Result<Vec<CampaignRow>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(&format!("{SELECT_CAMPAIGN} ORDER BY id DESC"), &[], read_campaign)?;
        Ok(rows)
    }

    /// Campaigns that were running or paused when the app last stopped, and canceled ones whose
    /// calls on the line have not all ended yet.
    pub fn unfinished_campaigns(&self) -> Result<Vec<CampaignRow>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            &format!(
                "{SELECT_CAMPAIGN} WHERE status IN ('running', 'paused')
                OR (status = 'canceled' AND EXISTS (SELECT 1 FROM campaign_targets t
                                                    WHERE t.campaign_id = campaigns.id AND t.status = 'calling'))
             ORDER BY id"
            ),
            &[],
            read_campaign,
        )?;
        Ok(rows)
    }

    /// Pauses (`paused` true) or resumes a campaign unless it already finished (clearing why
    /// it paused itself). Returns whether it is now in that state.
    pub fn set_campaign_paused(&self, id: i64, paused: bool) -> Result<bool> {
        let status = if paused { "paused" } else { "running" };
        let changed = self.conn()?.execute(
            "UPDATE campaigns SET status = ?2, status_reason = NULL WHERE id = ?1 AND status IN ('running', 'paused')",
            params![id, status],
        )?;
        Ok(changed == 1)
    }

    /// Pauses a running campaign because its next call would pass its budget (a compare-and-swap:
    /// false when it was not running).
    pub fn pause_campaign_for_budget(&self, id: i64) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE campaigns SET status = 'paused', status_reason = ?2 WHERE id = ?1 AND status = 'running'",
            params![id, BUDGET_REACHED],
        )?;
        Ok(changed == 1)
    }

    /// Gives a running or paused campaign the budget `budget_usd` (`None`: none) and sets it
    /// running; false when it had finished.
    pub fn resume_campaign_with_budget(&self, id: i64, budget_usd: Option<f64>) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE campaigns SET budget_usd = ?2, status = 'running', status_reason = NULL
             WHERE id = ?1 AND status IN ('running', 'paused')",
            params![id, budget_usd],
        )?;
        Ok(changed == 1)
    }

    /// Sets a campaign stopped in `error` running again (its reason cleared), for a runner to
    /// take it up; returns false when it was not stopped.
    pub fn resume_stopped_campaign(&self, id: i64) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE campaigns SET status = 'running', status_reason = NULL WHERE id = ?1 AND status = 'error'",
            params![id],
        )?;
        Ok(changed == 1)
    }

    /// Cancels a running, paused or stopped (`error`) campaign, all or nothing: every target not
    /// called yet says canceled; targets on the line keep `calling` until their call ends. `end_calls` asks the
    /// process running the campaign to end those calls now. Returns false when it had finished.
    pub fn cancel_campaign(&self, id: i64, end_calls: bool, now: UnixMillis) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE campaigns SET status = 'canceled', ended_at = ?2, end_calls = ?3
             WHERE id = ?1 AND status IN ('running', 'paused', 'error')",
            params![id, now.0, end_calls],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE campaign_targets SET status = 'canceled', outcome = 'canceled', next_attempt_at = NULL,
                    lease_owner = NULL, lease_expires_at = NULL
             WHERE campaign_id = ?1 AND status = 'pending'",
            params![id],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Stops a running or paused campaign in the `error` state with the reason it cannot go on;
    /// returns its round, or `None` when it was not running or paused.
    pub fn fail_campaign(&self, id: i64, reason: &str) -> Result<Option<u8>> {
        self.conn()?.query_opt(
            "UPDATE campaigns SET status = 'error', status_reason = ?2
                 WHERE id = ?1 AND status IN ('running', 'paused') RETURNING round",
            params![id, reason],
            |row| row.get(0),
        )
    }

    /// Moves a running campaign from round `from` to round `to` and adds the new round's
    /// targets, all or nothing. Returns false (and changes nothing) when another completion
    /// already moved it: this compare-and-swap is what makes round advancement exactly once.
    /// A contact listed twice is one target (the first listing's variables).
    pub fn advance_round(
        &self,
        id: i64,
        from: u8,
        to: u8,
        targets: &[(ContactId, BTreeMap<String, String>)],
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        self.check_fence(&mut tx)?;
        let changed = tx.execute(
            "UPDATE campaigns SET round = ?3 WHERE id = ?1 AND round = ?2 AND status = 'running'",
            params![id, from, to],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        for (contact, variables) in targets {
            let json = serde_json::to_string(variables).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            tx.execute(
                "INSERT INTO campaign_targets (campaign_id, round, contact_id, status, variables)
                 VALUES (?1, ?2, ?3, 'pending', ?4) ON CONFLICT (campaign_id, round, contact_id) DO NOTHING",
                params![id, to, contact.0, json],
            )?;
        }
        crate::failpoint!("campaign-advance-before-commit");
        tx.commit()?;
        Ok(true)
    }

    /// Finishes a running campaign in round `round` with its summary: a compare-and-swap too.
    pub fn complete_campaign(&self, id: i64, round: u8, summary: &str, now: UnixMillis) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        self.check_fence(&mut tx)?;
        let changed = tx.execute(
            "UPDATE campaigns SET status = 'completed', summary = ?3, ended_at = ?4
             WHERE id = ?1 AND round = ?2 AND status = 'running'",
            params![id, round, summary, now.0],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Rewrites a completed campaign's spec and summary together (a decision revised after
    /// the calls, such as a freight estimate). False when the campaign is not completed.
    pub fn revise_completed_campaign(&self, id: i64, spec: &str, summary: &str) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE campaigns SET spec = ?2, summary = ?3 WHERE id = ?1 AND status = 'completed'",
            params![id, spec, summary],
        )?;
        Ok(changed == 1)
    }

    /// The targets of one round.
    pub fn campaign_targets(&self, id: i64, round: u8) -> Result<Vec<TargetRow>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            &format!("{SELECT_TARGET} WHERE campaign_id = ?1 AND round = ?2 ORDER BY contact_id"),
            params![id, round],
            read_target,
        )?;
        Ok(rows)
    }

    /// Claims a pending target for one more attempt under `lease` (before the call is placed,
    /// so a restart or a second step never dials it twice): the attempt's number, or `Full` when
    /// `at_once` of the round's targets are on the line already, whichever node placed them
    /// (on Postgres the campaign's row is locked meanwhile, so two nodes never both take the
    /// last place), or `Taken` when the target is not pending, another owner's lease on it still holds, another
    /// node is claiming it this moment (Postgres skips a locked row instead of queueing on it),
    /// or writes fail ([`Store::writes_failing`], read under the connection's
    /// lock, so no claim is made once a failed write has been noted).
    pub fn target_reserve(
        &self,
        id: i64,
        round: u8,
        contact: ContactId,
        lease: &Lease<'_>,
        at_once: u32,
    ) -> Result<Reservation> {
        let mut conn = self.conn()?;
        if self.writes_failing().is_some() {
            return Ok(Reservation::Taken);
        }
        let mut tx = conn.transaction()?;
        self.check_fence(&mut tx)?;
        if tx.dialect() == Dialect::Postgres {
            tx.query_opt("SELECT id FROM campaigns WHERE id = ?1 FOR UPDATE", params![id], |_| Ok(()))?;
        }
        let on_the_line: i64 = tx.query_row(
            "SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ?1 AND round = ?2 AND status = 'calling'",
            params![id, round],
            |row| row.get(0),
        )?;
        if on_the_line >= i64::from(at_once) {
            return Ok(Reservation::Full);
        }
        let skip_locked = if tx.dialect() == Dialect::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let attempt = tx.query_opt(
            &format!(
                "UPDATE campaign_targets
                 SET status = 'calling', attempts = attempts + 1, call_id = NULL, next_attempt_at = NULL,
                     lease_owner = ?4, lease_expires_at = ?5
                 WHERE (campaign_id, round, contact_id) IN (
                     SELECT campaign_id, round, contact_id FROM campaign_targets
                     WHERE campaign_id = ?1 AND round = ?2 AND contact_id = ?3 AND status = 'pending'
                       AND (lease_owner IS NULL OR lease_owner = ?4 OR lease_expires_at IS NULL OR lease_expires_at <= ?6)
                     {skip_locked})
                 RETURNING attempts"
            ),
            params![id, round, contact.0, lease.owner, lease.until.0, lease.now.0],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(attempt.map_or(Reservation::Taken, Reservation::Claimed))
    }

    /// Extends the leases `lease.owner` holds on targets on the line to `lease.until` (the
    /// owner's runners do, while they live). Returns how many were renewed.
    pub fn renew_target_leases(&self, lease: &Lease<'_>) -> Result<usize> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        self.check_fence(&mut tx)?;
        let renewed = tx.execute(
            "UPDATE campaign_targets SET lease_expires_at = ?2 WHERE lease_owner = ?1 AND status = 'calling'",
            params![lease.owner, lease.until.0],
        )?;
        tx.commit()?;
        Ok(renewed)
    }

    /// Puts the target whose call the app's closing cut off back in the queue, giving back the
    /// attempt that call used (it was not the callee's doing). Returns whether one was.
    pub fn target_requeue_abandoned(&self, call_id: CallId, outcome: &str) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE campaign_targets
             SET status = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, next_attempt_at = NULL, outcome = ?2,
                 lease_owner = NULL, lease_expires_at = NULL
             WHERE call_id = ?1 AND status = 'calling'",
            params![call_id.0, outcome],
        )?;
        Ok(changed > 0)
    }

    /// Puts a target back in the queue for another attempt at `at`: a compare-and-swap on the
    /// target as `target` read it (its status and attempt), so a settler that read it before
    /// another settled and reserved it again changes nothing. Returns whether it changed it.
    pub fn target_retry(&self, target: &TargetRow, at: UnixMillis, outcome: &str) -> Result<bool> {
        self.settle_target(target, "pending", Some(at), outcome)
    }

    /// Ends a target: `done` after its last call, `skipped` when it was never called (and
    /// `canceled`, by [`Store::cancel_campaign`], when its campaign was canceled first). A
    /// compare-and-swap like [`Store::target_retry`]'s.
    pub fn target_finished(&self, target: &TargetRow, status: &str, outcome: &str) -> Result<bool> {
        self.settle_target(target, status, None, outcome)
    }

    fn settle_target(&self, target: &TargetRow, status: &str, at: Option<UnixMillis>, outcome: &str) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        self.check_fence(&mut tx)?;
        let changed = tx.execute(
            "UPDATE campaign_targets SET status = ?6, next_attempt_at = ?7, outcome = ?8,
                    lease_owner = NULL, lease_expires_at = NULL
             WHERE campaign_id = ?1 AND round = ?2 AND contact_id = ?3 AND status = ?4 AND attempts = ?5",
            params![
                target.campaign_id,
                target.round,
                target.contact_id.0,
                target.status,
                target.attempts,
                status,
                at.map(|at| at.0),
                outcome
            ],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// The quotes a campaign's calls yielded: (round, vendor name, offer), oldest call first;
    /// one per vendor and round (the latest call's), so no round lists a vendor twice.
    pub fn campaign_offers(&self, id: i64) -> Result<Vec<(u8, String, switchboard_core::Offer)>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map("SELECT c.round, ct.name, o.call_id, o.contact_id, o.unit_price, o.moq, o.lead_time_days, o.shipping, o.terms, o.confidence, o.valid_days
             FROM offers o JOIN calls c ON c.id = o.call_id JOIN contacts ct ON ct.id = o.contact_id
             WHERE c.campaign_id = ?1
               AND o.call_id = (SELECT MAX(o2.call_id) FROM offers o2 JOIN calls c2 ON c2.id = o2.call_id
                                WHERE c2.campaign_id = ?1 AND c2.round = c.round AND o2.contact_id = o.contact_id)
             ORDER BY c.id", params![id], |row| Ok((row.get(0)?, row.get(1)?, crate::offers::read_offer_from(row, 2)?)))?;
        Ok(rows)
    }
}

fn read_campaign(row: &Row<'_>) -> Result<CampaignRow> {
    Ok(CampaignRow {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        status: row.get(3)?,
        round: row.get(4)?,
        spec: row.get(5)?,
        summary: row.get(6)?,
        created_at: UnixMillis(row.get(7)?),
        ended_at: row.get::<Option<i64>>(8)?.map(UnixMillis),
        end_calls: row.get(9)?,
        status_reason: row.get(10)?,
        budget_usd: row.get(11)?,
    })
}

pub(crate) fn read_target(row: &Row<'_>) -> Result<TargetRow> {
    let variables: String = row.get(8)?;
    let variables = match serde_json::from_str(&variables) {
        Ok(variables) => variables,
        Err(err) => return Err(StoreError::Corrupt(format!("campaign target variables: {err}"))),
    };
    Ok(TargetRow {
        campaign_id: row.get(0)?,
        round: row.get(1)?,
        contact_id: ContactId(row.get(2)?),
        status: row.get(3)?,
        attempts: row.get(4)?,
        next_attempt_at: row.get::<Option<i64>>(5)?.map(UnixMillis),
        call_id: row.get::<Option<i64>>(6)?.map(CallId),
        outcome: row.get(7)?,
        variables,
        lease_owner: row.get(9)?,
        lease_expires_at: row.get::<Option<i64>>(10)?.map(UnixMillis),
    })
}
