//! Each vendor's last quote for an item, as the campaign builder's vendor picker shows it.

use serde::{Deserialize, Serialize};
use switchboard_core::ContactId;
use switchboard_store::Store;

use crate::EngineError;
use crate::clock::local_date;

/// A vendor's latest priced quote for the item asked about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LastQuote {
    pub contact_id: ContactId,
    pub unit_price: f64,
    /// The day of the call, `YYYY-MM-DD`.
    pub quoted_on: String,
}

/// Each vendor's last quote for `item`, newest first; none for an empty item.
pub fn last_quotes(store: &Store, item: &str) -> Result<Vec<LastQuote>, EngineError> {
    if item.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(store
        .last_quotes_for_item(item)?
        .into_iter()
        .map(|(contact_id, unit_price, at)| LastQuote { contact_id, unit_price, quoted_on: local_date(at).to_string() })
        .collect())
}
