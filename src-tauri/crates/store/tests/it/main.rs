//! Integration tests of the store against real SQLite files.

mod calls;
mod open;

use switchboard_core::{AgentConfig, UnixMillis};
use switchboard_store::{NewContact, Store};

/// A store seeded with the shipped sample agents and vendors.
pub fn seeded(store: &Store) {
    let agents: Vec<AgentConfig> =
        serde_json::from_str(include_str!("../../../../../assets/sample/agents.json")).unwrap();
    let vendors: Vec<NewContact> =
        serde_json::from_str(include_str!("../../../../../assets/sample/vendors.json")).unwrap();
    assert!(store.seed_samples_once(&agents, &vendors, UnixMillis(1)).unwrap());
}
