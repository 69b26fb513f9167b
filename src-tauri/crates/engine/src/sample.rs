//! Sample data shipped in `assets/`: the agents and vendors a new database starts with.

use switchboard_core::{AgentConfig, ContactFields, normalize_phone};
use switchboard_store::{Store, StoreError};

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
    let new_contacts: Vec<ContactFields> =
        serde_json::from_str(contacts.json).map_err(|source| SampleError::Parse { file: contacts.name, source })?;
    // Samples are US numbers; one is deliberately incomplete, to show how the console refuses it.
    let with_e164: Vec<(ContactFields, Option<String>)> = new_contacts
        .into_iter()
        .map(|fields| {
            let e164 = normalize_phone(&fields.phone, "US").ok();
            (fields, e164)
        })
        .collect();
    Ok(store.seed_samples_once(&agent_configs, &with_e164, now())?)
}
