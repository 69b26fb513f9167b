//! The items each vendor was asked to quote in past campaigns, for the vendor picker's search.

use serde::{Deserialize, Serialize};
use switchboard_core::ContactId;
use switchboard_store::Store;

use crate::EngineError;

/// The items one vendor was asked to quote, most recently asked first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PastItems {
    pub contact_id: ContactId,
    pub items: Vec<String>,
}

/// Every vendor that was a target of a campaign asking for an item, with those items.
pub fn past_items(store: &Store) -> Result<Vec<PastItems>, EngineError> {
    let mut vendors: Vec<PastItems> = Vec::new();
    for (contact_id, item) in store.vendor_past_items()? {
        match vendors.iter_mut().find(|vendor| vendor.contact_id == contact_id) {
            Some(vendor) => vendor.items.push(item),
            None => vendors.push(PastItems { contact_id, items: vec![item] }),
        }
    }
    Ok(vendors)
}
