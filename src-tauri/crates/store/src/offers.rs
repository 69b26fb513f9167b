//! Offer repository: one quote per call.

use crate::db::{Conn, Row, params};
use switchboard_core::{CallId, ContactId, Offer, UnixMillis};

use crate::{Result, Store};

const SELECT: &str =
    "SELECT call_id, contact_id, unit_price, moq, lead_time_days, shipping, terms, confidence, valid_days FROM offers";

impl Store {
    /// Stores (or replaces) the offer a call yielded.
    pub fn save_offer(&self, offer: &Offer) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        save_offer(&mut tx, offer)?;
        tx.commit()
    }

    /// The offer a call yielded, if any.
    pub fn offer(&self, call_id: CallId) -> Result<Option<Offer>> {
        let mut conn = self.conn()?;
        conn.query_opt(&format!("{SELECT} WHERE call_id = ?1"), params![call_id.0], read_offer)
    }

    /// Each vendor's latest priced quote for `item` (any case, spaces trimmed): the calls of
    /// campaigns whose request names it, and calls outside such campaigns to vendors whose own
    /// item it is. The contact, the unit price and when the call was placed, newest first.
    pub fn last_quotes_for_item(&self, item: &str) -> Result<Vec<(ContactId, f64, UnixMillis)>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            "SELECT o.contact_id, o.unit_price, c.created_at
             FROM offers o JOIN calls c ON c.id = o.call_id JOIN contacts ct ON ct.id = o.contact_id
             LEFT JOIN campaigns cp ON cp.id = c.campaign_id
             WHERE o.unit_price IS NOT NULL
               AND lower(trim(COALESCE(json_extract(cp.spec, '$.request.item'), json_extract(ct.details, '$.item'))))
                   = lower(trim(?1))
             ORDER BY o.call_id DESC",
            params![item],
            |row| Ok((ContactId(row.get(0)?), row.get::<f64>(1)?, UnixMillis(row.get(2)?))),
        )?;
        let mut latest: Vec<(ContactId, f64, UnixMillis)> = Vec::new();
        for row in rows {
            if !latest.iter().any(|(contact, ..)| *contact == row.0) {
                latest.push(row);
            }
        }
        Ok(latest)
    }

    /// The items vendors were asked to quote: for each campaign a vendor was a target of whose
    /// request names an item, the contact and that item (trimmed; once per contact whatever the
    /// case), most recently asked first.
    pub fn vendor_past_items(&self) -> Result<Vec<(ContactId, String)>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            "SELECT contact_id, MIN(item)
             FROM (SELECT t.contact_id, trim(json_extract(cp.spec, '$.request.item')) AS item, cp.id AS campaign_id
                   FROM campaign_targets t JOIN campaigns cp ON cp.id = t.campaign_id) asked
             WHERE item <> ''
             GROUP BY contact_id, lower(item)
             ORDER BY MAX(campaign_id) DESC, contact_id",
            &[],
            |row| Ok((ContactId(row.get(0)?), row.get(1)?)),
        )?;
        Ok(rows)
    }

    /// Every offer, newest call first.
    pub fn list_offers(&self) -> Result<Vec<Offer>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(&format!("{SELECT} ORDER BY call_id DESC"), &[], read_offer)?;
        Ok(rows)
    }
}

fn read_offer(row: &Row<'_>) -> Result<Offer> {
    read_offer_from(row, 0)
}

/// Reads an offer whose nine columns (in `SELECT`'s order) start at column `first`.
pub(crate) fn read_offer_from(row: &Row<'_>, first: usize) -> Result<Offer> {
    Ok(Offer {
        call_id: CallId(row.get(first)?),
        contact_id: ContactId(row.get(first + 1)?),
        unit_price: row.get(first + 2)?,
        moq: row.get(first + 3)?,
        lead_time_days: row.get(first + 4)?,
        shipping: row.get(first + 5)?,
        terms: row.get(first + 6)?,
        confidence: row.get(first + 7)?,
        valid_days: row.get(first + 8)?,
    })
}

/// Stores (or replaces) an offer on `conn`, inside a transaction: the old one is deleted and the
/// new one inserted, so the analytics triggers take the old figures away and add the new.
pub(crate) fn save_offer(conn: &mut Conn, offer: &Offer) -> Result<()> {
    conn.execute("DELETE FROM offers WHERE call_id = ?1", params![offer.call_id.0])?;
    conn.execute(
        "INSERT INTO offers
             (call_id, contact_id, unit_price, moq, lead_time_days, shipping, terms, confidence, valid_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            offer.call_id.0,
            offer.contact_id.0,
            offer.unit_price,
            offer.moq,
            offer.lead_time_days,
            offer.shipping,
            offer.terms,
            offer.confidence,
            offer.valid_days
        ],
    )?;
    Ok(())
}
