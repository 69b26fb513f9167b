//! Dispatcher settings the engine reads from the store, with their defaults.

use switchboard_store::{Store, StoreError};

/// The setting holding the region for phone numbers written without a country code.
pub const DEFAULT_REGION: &str = "default_region";

/// The region for numbers without a country code (ISO 3166 alpha-2), "US" unless set.
pub fn default_region(store: &Store) -> Result<String, StoreError> {
    Ok(store.setting(DEFAULT_REGION)?.unwrap_or_else(|| "US".to_owned()))
}

/// The setting holding the Twilio number calls are placed from (E.164), not a secret.
pub const TWILIO_FROM_NUMBER: &str = "twilio_from_number";

/// The Twilio calling number: the setting, else `TWILIO_FROM_NUMBER` (headless runs); `None`
/// when neither is set.
pub fn twilio_from_number(store: &Store) -> Result<Option<String>, StoreError> {
    let set = |value: String| Some(value.trim().to_owned()).filter(|value| !value.is_empty());
    Ok(store
        .setting(TWILIO_FROM_NUMBER)?
        .and_then(set)
        .or_else(|| std::env::var("TWILIO_FROM_NUMBER").ok().and_then(set)))
}

/// The setting holding the yearly rate, in percent, at which paying a vendor later saves money:
/// quotes' payment terms are weighed at it.
pub const PAYMENT_TERMS_RATE: &str = "payment_terms_rate";

/// The yearly rate used when none is set, in percent.
pub const DEFAULT_PAYMENT_TERMS_RATE: f64 = 8.0;

/// The highest yearly rate accepted, in percent.
pub const MAX_PAYMENT_TERMS_RATE: f64 = 100.0;

/// The yearly rate payment terms are weighed at, in percent (8 unless set).
pub fn payment_terms_rate(store: &Store) -> Result<f64, StoreError> {
    Ok(store.setting(PAYMENT_TERMS_RATE)?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_PAYMENT_TERMS_RATE))
}

/// The setting holding the dispatcher's own phone (E.164): where a call they take over goes.
pub const DISPATCHER_PHONE: &str = "dispatcher_phone";

/// The dispatcher's own phone, E.164, when set.
pub fn dispatcher_phone(store: &Store) -> Result<Option<String>, StoreError> {
    Ok(store.setting(DISPATCHER_PHONE)?.map(|phone| phone.trim().to_owned()).filter(|phone| !phone.is_empty()))
}
