//! Sample data shipped in `assets/`: the agents and vendors a new database starts with.

use switchboard_core::AgentConfig;
use switchboard_store::{NewContact, Store, StoreError};

use crate::now;

/// Why the shipped sample data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("sample file {file} is not valid: {source}")]
    Parse { file: &'static str, source: serde_json::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A sample file: its name (for errors) and its JSON text.
pub struct SampleFile {
    pub name: &'static str,
    pub json: &'static str,
}

/// Seeds the sample agents and contacts into a new database (once; later starts do nothing).
/// Returns whether anything was written.
pub fn seed_once(store: &Store, agents: SampleFile, contacts: SampleFile) -> Result<bool, SampleError> {
    let agent_configs: Vec<AgentConfig> =
        serde_json::from_str(agents.json).map_err(|source| SampleError::Parse { file: agents.name, source })?;
    let new_contacts: Vec<NewContact> =
        serde_json::from_str(contacts.json).map_err(|source| SampleError::Parse { file: contacts.name, source })?;
    Ok(store.seed_samples_once(&agent_configs, &new_contacts, now())?)
}
