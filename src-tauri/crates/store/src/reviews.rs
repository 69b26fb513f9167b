//! The driver review queue's resolutions: the dispatcher's note on each flagged driver of a batch.

use crate::db::params;
use switchboard_core::{ContactId, UnixMillis};

use crate::{Result, Store, StoreError};

/// How the dispatcher resolved one flagged driver of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub contact_id: ContactId,
    pub note: String,
    pub resolved_at: UnixMillis,
}

impl Store {
    /// Marks `contact` of campaign `campaign` resolved with `note`; resolving again replaces
    /// the note. The campaign must have called the contact.
    pub fn resolve_review(&self, campaign: i64, contact: ContactId, note: &str, at: UnixMillis) -> Result<()> {
        let mut conn = self.conn()?;
        let targeted: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM campaign_targets WHERE campaign_id = ?1 AND contact_id = ?2)",
            params![campaign, contact.0],
            |row| row.get(0),
        )?;
        if !targeted {
            return Err(StoreError::NotFound(format!("contact {contact} in campaign {campaign}")));
        }
        conn.execute(
            "INSERT INTO driver_reviews (campaign_id, contact_id, note, resolved_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(campaign_id, contact_id) DO UPDATE SET note = excluded.note, resolved_at = excluded.resolved_at",
            params![campaign, contact.0, note, at.0],
        )?;
        Ok(())
    }

    /// Every resolution in campaign `campaign`, by contact.
    pub fn reviews(&self, campaign: i64) -> Result<Vec<ReviewRow>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            "SELECT contact_id, note, resolved_at FROM driver_reviews WHERE campaign_id = ?1 ORDER BY contact_id",
            params![campaign],
            |row| {
                Ok(ReviewRow {
                    contact_id: ContactId(row.get(0)?),
                    note: row.get(1)?,
                    resolved_at: UnixMillis(row.get(2)?),
                })
            },
        )?;
        Ok(rows)
    }
}
