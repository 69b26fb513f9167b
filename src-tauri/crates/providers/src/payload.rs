//! Reading what providers send us (webhook bodies, stream messages) into typed values.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serializer};

use crate::Provider;

/// A webhook or stream message that does not have the shape the provider documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider} {what} could not be read: {reason}")]
pub struct PayloadError {
    pub provider: Provider,
    pub what: &'static str,
    pub reason: String,
}

pub(crate) fn parse_json<T: DeserializeOwned>(
    provider: Provider,
    what: &'static str,
    body: &[u8],
) -> Result<T, PayloadError> {
    serde_json::from_slice(body).map_err(|error| PayloadError { provider, what, reason: error.to_string() })
}

pub(crate) fn parse_form<T: DeserializeOwned>(
    provider: Provider,
    what: &'static str,
    body: &[u8],
) -> Result<T, PayloadError> {
    serde_urlencoded::from_bytes(body).map_err(|error| PayloadError { provider, what, reason: error.to_string() })
}

/// Serde helpers for numbers that arrive as strings: form fields (`CallDuration=12`, possibly
/// empty) and Twilio's stream messages (`"sequenceNumber":"4"`).
pub(crate) mod text_number {
    use super::*;

    /// An optional number sent as text; an empty or absent field is `None`.
    pub(crate) fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr,
        T::Err: Display,
    {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) if !text.trim().is_empty() => text.trim().parse().map(Some).map_err(D::Error::custom),
            _ => Ok(None),
        }
    }

    /// A number written as a JSON string; a bare JSON number is accepted too.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum TextOrNumber {
            Text(String),
            Number(u64),
        }
        match TextOrNumber::deserialize(deserializer)? {
            TextOrNumber::Text(text) => text.parse().map_err(D::Error::custom),
            TextOrNumber::Number(number) => Ok(number),
        }
    }

    pub(crate) fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }
}
