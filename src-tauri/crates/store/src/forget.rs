//! Forgetting a contact: the contact and everything about them go in one transaction; a
//! do-not-call number stays suppressed.

use crate::db::params;
use switchboard_core::ContactId;

use crate::{Result, Store, StoreError};

/// What forgetting a contact removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub calls: u64,
    /// Recording files to remove from disk.
    pub recording_files: Vec<String>,
    /// Whether the number stays on the suppression list (the contact was do-not-call).
    pub number_suppressed: bool,
}

impl Store {
    /// Deletes a contact with their calls, transcripts (and their search index), collected
    /// values, offers, recordings rows, latencies and campaign targets; `scrub_summary` rewrites
    /// the summary (JSON) of each campaign they were in (`None` clears it). A do-not-call contact's number stays
    /// suppressed.
    pub fn forget_contact(&self, id: ContactId, scrub_summary: impl Fn(&str) -> Option<String>) -> Result<Forgotten> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM contacts WHERE id = ?1)", params![id.0], |r| r.get(0))?;
        if !exists {
            return Err(StoreError::NotFound(format!("contact {id}")));
        }
        let recording_files: Vec<String> = tx.query_map(
            "SELECT r.file FROM recordings r JOIN calls c ON c.id = r.call_id
             WHERE c.contact_id = ?1 AND r.deleted_at IS NULL",
            params![id.0],
            |row| row.get(0),
        )?;
        let number_suppressed = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM contacts c JOIN suppressed_numbers s ON s.phone_e164 = c.phone_e164
                            WHERE c.id = ?1)",
            params![id.0],
            |row| row.get(0),
        )?;
        // Campaign summaries may name the contact; the caller rewrites each without them.
        let summaries: Vec<(i64, String)> = tx.query_map(
            "SELECT DISTINCT c.id, c.summary FROM campaigns c JOIN campaign_targets t ON t.campaign_id = c.id
             WHERE t.contact_id = ?1 AND c.summary IS NOT NULL",
            params![id.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        for (campaign, summary) in summaries {
            tx.execute("UPDATE campaigns SET summary = ?2 WHERE id = ?1", params![campaign, scrub_summary(&summary)])?;
        }
        tx.execute("DELETE FROM campaign_targets WHERE contact_id = ?1", params![id.0])?;
        tx.execute("DELETE FROM offers WHERE contact_id = ?1", params![id.0])?;
        let calls = tx.execute("DELETE FROM calls WHERE contact_id = ?1", params![id.0])?;
        tx.execute("DELETE FROM contacts WHERE id = ?1", params![id.0])?;
        tx.commit()?;
        Ok(Forgotten { calls: calls as u64, recording_files, number_suppressed })
    }
}
