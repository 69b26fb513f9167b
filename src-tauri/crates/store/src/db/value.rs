//! Values bound to and read from statements, the same on SQLite and Postgres.

use rusqlite::types::ValueRef;

use crate::{Result, StoreError};

/// One bound parameter or one column read back: SQLite's five storage classes, which every
/// column of the schema uses on Postgres too (BIGINT, DOUBLE PRECISION, TEXT, BYTEA).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// A Rust value bound as a statement parameter (see [`params!`](crate::db::params)).
pub(crate) trait ToValue {
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

macro_rules! integer_to_value {
    ($($ty:ty),*) => {$(
        impl ToValue for $ty {
            fn to_value(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
integer_to_value!(i64, i32, u32, i16, u16, u8, bool);

impl ToValue for usize {
    fn to_value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for u64 {
    fn to_value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

/// A Rust value read from a column.
pub(crate) trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self>;

    /// Straight from SQLite's borrowed value: numbers need no owned [`Value`] in between.
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self> {
        Self::from_value(super::sqlite::owned(value)?)
    }
}

fn mismatch<T>(value: &Value, wanted: &str) -> Result<T> {
    Err(StoreError::Corrupt(format!("a column holds {}, not {wanted}", value.kind())))
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self> {
        Ok(value)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            value => T::from_value(value).map(Some),
        }
    }

    fn from_sqlite(value: ValueRef<'_>) -> Result<Self> {
        match value {
            ValueRef::Null => Ok(None),
            value => T::from_sqlite(value).map(Some),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Int(int) => Ok(int),
            other => mismatch(&other, "an integer"),
        }
    }

    fn from_sqlite(value: ValueRef<'_>) -> Result<Self> {
        match value {
            ValueRef::Integer(int) => Ok(int),
            other => Self::from_value(super::sqlite::owned(other)?),
        }
    }
}

macro_rules! narrow_integer_from_value {
    ($($ty:ty),*) => {$(
        impl FromValue for $ty {
            fn from_value(value: Value) -> Result<Self> {
                let int = i64::from_value(value)?;
                <$ty>::try_from(int).map_err(|_| StoreError::Corrupt(format!("{int} is out of range for {}", stringify!($ty))))
            }

            fn from_sqlite(value: ValueRef<'_>) -> Result<Self> {
                let int = i64::from_sqlite(value)?;
                <$ty>::try_from(int).map_err(|_| StoreError::Corrupt(format!("{int} is out of range for {}", stringify!($ty))))
            }
        }
    )*};
}
narrow_integer_from_value!(i32, u32, u64, usize, u16, u8);

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self> {
        i64::from_value(value).map(|int| int != 0)
    }

    fn from_sqlite(value: ValueRef<'_>) -> Result<Self> {
        i64::from_sqlite(value).map(|int| int != 0)
    }
}

impl FromValue for f64 {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self> {
        match value {
            ValueRef::Real(real) => Ok(real),
            other => Self::from_value(super::sqlite::owned(other)?),
        }
    }

    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Real(real) => Ok(real),
            Value::Int(int) => Ok(int as f64),
            other => mismatch(&other, "a number"),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Text(text) => Ok(text),
            other => mismatch(&other, "text"),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Blob(blob) => Ok(blob),
            Value::Text(text) => Ok(text.into_bytes()),
            other => mismatch(&other, "a blob"),
        }
    }
}
