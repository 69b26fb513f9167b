//! Offer repository: one quote per call.

use crate::cached::Cached as _;
use rusqlite::{Connection, OptionalExtension, Row, params};
use switchboard_core::{CallId, ContactId, Offer, UnixMillis};

use crate::{Result, Store};

const SELECT: &str =
    "SELECT call_id, contact_id, unit_price, moq, lead_time_days, shipping, terms, confidence, valid_days FROM offers";

impl Store {
    /// Stores (or replaces) the offer a call yielded.
    pub fn save_offer(&self, offer: &Offer) -> Result<()> {
        save_offer(&self.conn(), offer)
    }

    /// The offer a call yielded, if any.
    pub fn offer(&self, call_id: CallId) -> Result<Option<Offer>> {
        let conn = self.conn();
        Ok(conn.query_row_cached(&format!("{SELECT} WHERE call_id = ?1"), [call_id.0], read_offer).optional()?)
    }

    /// Each vendor's latest priced quote for `item` (any case, spaces trimmed): the calls of
    /// campaigns whose request names it, and calls outside such campaigns to vendors whose own
    /// item it is. The contact, the unit price and when the call was placed, newest first.
    pub fn last_quotes_for_item(&self, item: &str) -> Result<Vec<(ContactId, f64, UnixMillis)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT o.contact_id, o.unit_price, c.created_at
             FROM offers o JOIN calls c ON c.id = o.call_id JOIN contacts ct ON ct.id = o.contact_id
             LEFT JOIN campaigns cp ON cp.id = c.campaign_id
             WHERE o.unit_price IS NOT NULL
               AND lower(trim(COALESCE(json_extract(cp.spec, '$.request.item'), json_extract(ct.details, '$.item'))))
                   = lower(trim(?1))
             ORDER BY o.call_id DESC",
        )?;
        let rows =
            stmt.query_map([item], |row| Ok((ContactId(row.get(0)?), row.get::<_, f64>(1)?, UnixMillis(row.get(2)?))))?;
        let mut latest: Vec<(ContactId, f64, UnixMillis)> = Vec::new();
        for row in rows {
            let row = row?;
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
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT t.contact_id, trim(json_extract(cp.spec, '$.request.item')) AS item
             FROM campaign_targets t JOIN campaigns cp ON cp.id = t.campaign_id
             WHERE item <> ''
             GROUP BY t.contact_id, lower(item)
             ORDER BY max(cp.id) DESC, t.contact_id",
        )?;
        let rows = stmt.query_map([], |row| Ok((ContactId(row.get(0)?), row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every offer, newest call first.
    pub fn list_offers(&self) -> Result<Vec<Offer>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY call_id DESC"))?;
        let rows = stmt.query_map([], read_offer)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn read_offer(row: &Row<'_>) -> rusqlite::Result<Offer> {
    read_offer_from(row, 0)
}

/// Reads an offer whose nine columns (in `SELECT`'s order) start at column `first`.
pub(crate) fn read_offer_from(row: &Row<'_>, first: usize) -> rusqlite::Result<Offer> {
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

/// Stores (or replaces) an offer on `conn`.
pub(crate) fn save_offer(conn: &Connection, offer: &Offer) -> Result<()> {
    conn.execute_cached(
        "INSERT OR REPLACE INTO offers
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
