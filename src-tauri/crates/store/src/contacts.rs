//! Contact repository.

use rusqlite::{Connection, OptionalExtension, Row, params};
use switchboard_core::{Contact, ContactId, ContactKind, UnixMillis, VendorDetails};

use crate::{Result, Store, StoreError};

/// A contact to store.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewContact {
    pub kind: ContactKind,
    pub name: String,
    pub phone: String,
    #[serde(default)]
    pub vendor: VendorDetails,
}

const SELECT: &str = "SELECT id, kind, name, phone, details FROM contacts";

impl Store {
    /// Stores a new contact.
    pub fn insert_contact(&self, contact: &NewContact, now: UnixMillis) -> Result<ContactId> {
        insert_contact(&self.conn(), contact, now)
    }

    /// Every contact, by name.
    pub fn list_contacts(&self) -> Result<Vec<Contact>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY name, id"))?;
        let rows = stmt.query_map([], read_contact)?;
        rows.map(|row| row?).collect()
    }

    /// One contact.
    pub fn contact(&self, id: ContactId) -> Result<Option<Contact>> {
        let conn = self.conn();
        let row = conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id.0], read_contact).optional()?;
        row.transpose()
    }
}

pub(crate) fn insert_contact(conn: &Connection, contact: &NewContact, now: UnixMillis) -> Result<ContactId> {
    let details = serde_json::to_string(&contact.vendor).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    conn.execute(
        "INSERT INTO contacts (kind, name, phone, details, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![contact.kind.as_str(), contact.name, contact.phone, details, now.0],
    )?;
    Ok(ContactId(conn.last_insert_rowid()))
}

fn read_contact(row: &Row<'_>) -> rusqlite::Result<Result<Contact>> {
    let id: i64 = row.get(0)?;
    let kind: String = row.get(1)?;
    let details: String = row.get(4)?;
    let Some(kind) = ContactKind::parse(&kind) else {
        return Ok(Err(StoreError::Corrupt(format!("contact {id} has kind {kind:?}"))));
    };
    let vendor = match serde_json::from_str(&details) {
        Ok(vendor) => vendor,
        Err(err) => return Ok(Err(StoreError::Corrupt(format!("contact {id}: {err}")))),
    };
    Ok(Ok(Contact { id: ContactId(id), kind, name: row.get(2)?, phone: row.get(3)?, vendor }))
}
