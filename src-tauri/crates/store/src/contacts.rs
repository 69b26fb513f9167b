//! Contact repository.

use std::collections::BTreeMap;

use crate::db::{Conn, Row, Value, params};
use switchboard_core::{Contact, ContactDetails, ContactFields, ContactId, Phone, UnixMillis};

use crate::{Result, Store, StoreError};

/// One write of a contact import or edit, with its number as read (`None` when it is not one).
#[derive(Debug, Clone, PartialEq)]
pub enum ContactWrite {
    Insert { fields: ContactFields, phone: Option<Phone> },
    Update { id: ContactId, fields: ContactFields, phone: Option<Phone> },
}

const SELECT: &str =
    "SELECT id, phone_e164, name, phone, tags, time_zone, do_not_call, custom, details, phone_extension FROM contacts";

impl Store {
    /// Stores a new contact with its number as read (`None` when it is not one).
    pub fn insert_contact(&self, fields: &ContactFields, phone: Option<&Phone>, now: UnixMillis) -> Result<ContactId> {
        insert_contact(&mut *self.conn()?, fields, phone, now)
    }

    /// Replaces a contact's fields and number.
    pub fn update_contact(
        &self,
        id: ContactId,
        fields: &ContactFields,
        phone: Option<&Phone>,
        now: UnixMillis,
    ) -> Result<()> {
        update_contact(&mut *self.conn()?, id, fields, phone, now)
    }

    /// Applies many writes in one transaction. Each write is all or nothing on its own (a
    /// savepoint): one that fails is reported in its slot and the others still commit. A write
    /// the database itself refuses (full disk, held lock: see [`StoreError::write_failure`]) is
    /// no fault of its row, so it fails the whole call and nothing is written.
    pub fn write_contacts(&self, writes: &[ContactWrite], now: UnixMillis) -> Result<Vec<Result<ContactId>>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            crate::failpoint!("import-row");
            let mut savepoint = tx.savepoint()?;
            let result = match write {
                ContactWrite::Insert { fields, phone } => insert_contact(&mut savepoint, fields, phone.as_ref(), now),
                ContactWrite::Update { id, fields, phone } => {
                    update_contact(&mut savepoint, *id, fields, phone.as_ref(), now).map(|()| *id)
                }
            };
            match result {
                Ok(id) => {
                    savepoint.commit()?;
                    results.push(Ok(id));
                }
                Err(err) if err.write_failure().is_some() => return Err(err),
                Err(err) => {
                    savepoint.rollback()?;
                    results.push(Err(err));
                }
            }
        }
        crate::failpoint!("import-before-commit");
        tx.commit()?;
        Ok(results)
    }

    /// Every contact, by name.
    pub fn list_contacts(&self) -> Result<Vec<Contact>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(&format!("{SELECT} ORDER BY name, id"), &[], read_contact)?;
        Ok(rows)
    }

    /// The contact dialled at this E.164 number, if any (the oldest, when several share it).
    pub fn contact_by_phone(&self, phone_e164: &str) -> Result<Option<Contact>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(
            &format!("{SELECT} WHERE phone_e164 = ?1 ORDER BY id LIMIT 1"),
            params![phone_e164],
            read_contact,
        )?;
        Ok(row)
    }

    /// The item, quantity and target price the first of `ids` still has in its stored details
    /// (vendors kept them before campaigns carried a request), when one has a quantity.
    pub fn legacy_vendor_request(&self, ids: &[ContactId]) -> Result<Option<(String, u32, Option<f64>)>> {
        let mut conn = self.conn()?;
        for id in ids {
            let facts = conn.query_opt(
                "SELECT COALESCE(json_extract(details, '$.item'), ''),
                        CAST(json_extract(details, '$.quantity') AS BIGINT),
                        CAST(json_extract(details, '$.targetPrice') AS DOUBLE PRECISION)
                 FROM contacts WHERE id = ?1 AND CAST(json_extract(details, '$.quantity') AS DOUBLE PRECISION) > 0",
                params![id.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            if let Some(facts) = facts {
                return Ok(Some(facts));
            }
        }
        Ok(None)
    }

    /// One contact.
    pub fn contact(&self, id: ContactId) -> Result<Option<Contact>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(&format!("{SELECT} WHERE id = ?1"), params![id.0], read_contact)?;
        Ok(row)
    }
}

pub(crate) fn insert_contact(
    conn: &mut Conn,
    fields: &ContactFields,
    phone: Option<&Phone>,
    now: UnixMillis,
) -> Result<ContactId> {
    let id = conn.query_row(
        "INSERT INTO contacts (kind, name, phone, phone_e164, tags, time_zone, do_not_call, custom, details, created_at,
                               id, phone_extension)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        &columns(None, fields, phone, now)?,
        |row| row.get(0),
    )?;
    Ok(ContactId(id))
}

fn update_contact(
    conn: &mut Conn,
    id: ContactId,
    fields: &ContactFields,
    phone: Option<&Phone>,
    now: UnixMillis,
) -> Result<()> {
    let changed = conn.execute(
        "UPDATE contacts SET kind = ?1, name = ?2, phone = ?3, phone_e164 = ?4, tags = ?5, time_zone = ?6,
                do_not_call = ?7, custom = ?8, details = ?9, updated_at = ?10, phone_extension = ?12
         WHERE id = ?11",
        &columns(Some(id), fields, phone, now)?,
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("contact {id}")));
    }
    Ok(())
}

/// The parameters of an insert or update: the contact's columns in table order, the time
/// (created or updated) as ?10, the id (NULL for a new row) as ?11 and the phone extension as ?12.
fn columns(
    id: Option<ContactId>,
    fields: &ContactFields,
    phone: Option<&Phone>,
    now: UnixMillis,
) -> Result<Vec<Value>> {
    let json = Json::of(fields)?;
    Ok(params![
        fields.kind().as_str(),
        fields.name,
        fields.phone,
        phone.map(|phone| phone.e164.as_str()),
        json.tags,
        fields.time_zone,
        fields.do_not_call,
        json.custom,
        json.details,
        now.0,
        id.map(|id| id.0),
        phone.and_then(|phone| phone.extension.as_deref()),
    ]
    .to_vec())
}

/// The JSON columns of a contact.
struct Json {
    tags: String,
    custom: String,
    details: String,
}

impl Json {
    fn of(fields: &ContactFields) -> Result<Json> {
        let text = |value: serde_json::Result<String>| value.map_err(|err| StoreError::Corrupt(err.to_string()));
        Ok(Json {
            tags: text(serde_json::to_string(&fields.tags))?,
            custom: text(serde_json::to_string(&fields.custom))?,
            details: text(serde_json::to_string(&fields.details))?,
        })
    }
}

fn read_contact(row: &Row<'_>) -> Result<Contact> {
    let id: i64 = row.get(0)?;
    let tags: String = row.get(4)?;
    let custom: String = row.get(7)?;
    let details: String = row.get(8)?;
    let parsed = (|| {
        let tags: Vec<String> = serde_json::from_str(&tags)?;
        let custom: BTreeMap<String, String> = serde_json::from_str(&custom)?;
        let details: ContactDetails = serde_json::from_str(&details)?;
        Ok::<_, serde_json::Error>((tags, custom, details))
    })();
    let (tags, custom, details) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => return Err(StoreError::Corrupt(format!("contact {id}: {err}"))),
    };
    Ok(Contact {
        id: ContactId(id),
        phone_e164: row.get(1)?,
        phone_extension: row.get(9)?,
        fields: ContactFields {
            name: row.get(2)?,
            phone: row.get(3)?,
            tags,
            time_zone: row.get(5)?,
            do_not_call: row.get(6)?,
            custom,
            details,
        },
    })
}
