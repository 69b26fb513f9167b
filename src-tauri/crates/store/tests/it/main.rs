//! Integration tests of the store against real SQLite files.

mod analytics;
mod calls;
mod campaigns;
mod costs;
mod history;
mod inbox;
mod open;
mod rehearsals;
mod reviews;
mod search;

use switchboard_core::{AgentConfig, ContactFields, Phone, UnixMillis, parse_phone};
use switchboard_store::Store;

/// A store seeded with the shipped sample agents and vendors.
pub fn seeded(store: &Store) {
    let agents: Vec<AgentConfig> =
        serde_json::from_str(format!("[{}]", include_str!("../../../../../assets/presets/vendor-quote.json")).as_str())
            .unwrap();
    let vendors: Vec<ContactFields> =
        serde_json::from_str(include_str!("../../../../../assets/sample/vendors.json")).unwrap();
    let vendors: Vec<(ContactFields, Option<Phone>)> =
        vendors.into_iter().map(|v| (v.clone(), parse_phone(&v.phone, "US").ok())).collect();
    assert!(store.seed_samples_once(&agents, &vendors, UnixMillis(1)).unwrap());
}
