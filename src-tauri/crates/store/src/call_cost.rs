//! What a call cost in US dollars and its breakdown (`calls.cost_usd`, `call_cost_items`),
//! beside the provider's own figure (`cost_amount`, `cost_currency`), and what campaigns spent.

use crate::db::{Conn, Execute, params};
use switchboard_core::{CallCost, CallId, CallPrice, CostItem, Pricing, UnixMillis};

use crate::calls::transcript;
use crate::{Result, Store, StoreError};

/// What one round of a campaign spent on the calls priced so far.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundSpending {
    pub round: u8,
    pub spent_usd: f64,
    /// Calls priced.
    pub calls: u32,
    /// Whether any of them was priced as an estimate.
    pub estimate: bool,
}

impl Store {
    /// Records what a provider charged for a call, and `price`, its figure in dollars (`None`
    /// when it cannot be converted: the dollar total stays unknown).
    pub fn set_call_cost(&self, id: CallId, cost: &CallCost, price: Option<&CallPrice>) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "UPDATE calls SET cost_amount = ?2, cost_currency = ?3 WHERE id = ?1",
            params![id.0, cost.amount, cost.currency],
        )?;
        if let Some(price) = price {
            write_price(&mut *tx, id, price)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records what a call cost in dollars, replacing any earlier price.
    pub fn set_call_price(&self, id: CallId, price: &CallPrice) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        write_price(&mut *tx, id, price)?;
        tx.commit()?;
        Ok(())
    }

    /// What a call cost in dollars, with its breakdown; `None` while unknown.
    pub fn call_price(&self, id: CallId) -> Result<Option<CallPrice>> {
        let mut conn = self.conn()?;
        let head: Option<(Option<f64>, bool)> =
            conn.query_opt("SELECT cost_usd, cost_estimate FROM calls WHERE id = ?1", params![id.0], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        let (total, estimate) = head.ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
        let Some(total_usd) = total else { return Ok(None) };
        let items = conn.query_map(
            "SELECT item, quantity, unit, rate_usd, amount_usd FROM call_cost_items WHERE call_id = ?1 ORDER BY seq",
            params![id.0],
            |row| {
                Ok(CostItem {
                    item: row.get(0)?,
                    quantity: row.get(1)?,
                    unit: row.get(2)?,
                    rate_usd: row.get(3)?,
                    amount_usd: row.get(4)?,
                })
            },
        )?;
        Ok(Some(CallPrice { total_usd, estimate, items }))
    }

    /// What campaign `id`'s calls cost so far, round by round (rounds with a priced call).
    pub fn campaign_spending(&self, id: i64) -> Result<Vec<RoundSpending>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            "SELECT round, SUM(cost_usd), COUNT(cost_usd), MAX(cost_estimate) FROM calls
             WHERE campaign_id = ?1 AND cost_usd IS NOT NULL GROUP BY round ORDER BY round",
            params![id],
            |row| {
                Ok(RoundSpending {
                    round: row.get(0)?,
                    spent_usd: row.get(1)?,
                    calls: row.get(2)?,
                    estimate: row.get(3)?,
                })
            },
        )?;
        Ok(rows)
    }
}

/// Prices call `id`, which ended at `at`, by `pricing` (from its time on the line and its
/// transcript), in the transaction that ends it.
pub(crate) fn price_ended_call(conn: &mut Conn, id: CallId, at: UnixMillis, pricing: &Pricing) -> Result<()> {
    let answered: Option<i64> =
        conn.query_row("SELECT answered_at FROM calls WHERE id = ?1", params![id.0], |row| row.get(0))?;
    let talk_ms = answered.map_or(0, |answered| at.0.saturating_sub(answered).max(0).unsigned_abs());
    let lines = if pricing.reads_transcript() { transcript(conn, id)? } else { Vec::new() };
    write_price(conn, id, &pricing.price(talk_ms, &lines))
}

pub(crate) fn write_price(conn: &mut impl Execute, id: CallId, price: &CallPrice) -> Result<()> {
    conn.execute(
        "UPDATE calls SET cost_usd = ?2, cost_estimate = ?3 WHERE id = ?1",
        params![id.0, price.total_usd, price.estimate],
    )?;
    conn.execute("DELETE FROM call_cost_items WHERE call_id = ?1", params![id.0])?;
    for (seq, item) in price.items.iter().enumerate() {
        conn.execute(
            "INSERT INTO call_cost_items (call_id, seq, item, quantity, unit, rate_usd, amount_usd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id.0, seq as i64, item.item, item.quantity, item.unit, item.rate_usd, item.amount_usd],
        )?;
    }
    Ok(())
}
