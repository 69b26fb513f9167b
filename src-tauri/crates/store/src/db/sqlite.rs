//! The SQLite side of the connection layer: rusqlite's values and rows as ours.

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::Value;
use crate::{Result, StoreError};

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(int) => ValueRef::Integer(*int),
            Value::Real(real) => ValueRef::Real(*real),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(blob) => ValueRef::Blob(blob),
        }))
    }
}

/// An SQLite column's value, owned.
pub(super) fn owned(value: ValueRef<'_>) -> Result<Value> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(int) => Value::Int(int),
        ValueRef::Real(real) => Value::Real(real),
        ValueRef::Text(text) => Value::Text(
            String::from_utf8(text.to_vec())
                .map_err(|err| StoreError::Corrupt(format!("text that is not UTF-8: {err}")))?,
        ),
        ValueRef::Blob(blob) => Value::Blob(blob.to_vec()),
    })
}
