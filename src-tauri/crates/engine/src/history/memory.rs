//! Contact memory: the last calls with a contact, summarised into the next call's context.

use switchboard_core::{ContactId, PastCall, UnixMillis, summarize_past_calls};
use switchboard_store::{Store, StoreError};

/// The setting holding how many past calls a call is told about.
pub const MEMORY_CALLS: &str = "memory_calls";

/// How many past calls with a contact the next call is told about (3 unless set; 0 = none).
pub fn memory_calls(store: &Store) -> Result<u32, StoreError> {
    Ok(store.setting(MEMORY_CALLS)?.and_then(|value| value.parse().ok()).unwrap_or(3))
}

/// The last `limit` finished calls with a contact, one line each, newest first (empty when
/// there were none).
pub fn contact_memory(store: &Store, contact: ContactId, limit: u32) -> Result<String, StoreError> {
    if limit == 0 {
        return Ok(String::new());
    }
    let mut past = Vec::new();
    for call in store.calls_with_contact(contact)?.into_iter().filter(|call| call.state.is_terminal()) {
        if past.len() == limit as usize {
            break;
        }
        past.push(PastCall {
            fields: store.collected_fields(call.id)?,
            offer: store.offer(call.id)?,
            outcome: store.campaign_outcome(call.id)?,
            call,
        });
    }
    Ok(summarize_past_calls(&past, date_of))
}

/// A day as the dispatcher reads it ("Nov 20, 2026"), in this computer's time zone.
fn date_of(at: UnixMillis) -> String {
    jiff::Timestamp::from_millisecond(at.0)
        .map(|ts| ts.to_zoned(jiff::tz::TimeZone::system()).strftime("%b %-d, %Y").to_string())
        .unwrap_or_else(|_| "an unknown day".to_owned())
}
