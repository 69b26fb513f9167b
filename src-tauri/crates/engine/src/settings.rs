//! Dispatcher settings the engine reads from the store, with their defaults.

use switchboard_store::{Store, StoreError};

/// The setting holding the region for phone numbers written without a country code.
pub const DEFAULT_REGION: &str = "default_region";

/// The region for numbers without a country code (ISO 3166 alpha-2), "US" unless set.
pub fn default_region(store: &Store) -> Result<String, StoreError> {
    Ok(store.setting(DEFAULT_REGION)?.unwrap_or_else(|| "US".to_owned()))
}
