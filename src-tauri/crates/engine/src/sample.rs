//! Sample data shipped in `assets/`: the agents and vendors a new database starts with.

use switchboard_core::{AgentConfig, ContactFields, Phone, parse_phone};
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

impl SampleFile {
    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, SampleError> {
        serde_json::from_str(self.json).map_err(|source| SampleError::Parse { file: self.name, source })
    }
}

/// A file of `assets/`, built into the binary.
macro_rules! asset {
    ($path:literal) => {
        SampleFile { name: $path, json: include_str!(concat!("../../../../", $path)) }
    };
}

/// Every agent preset the dispatcher can start from; a new database starts with them all.
pub const PRESETS: &[SampleFile] = &[
    asset!("assets/presets/vendor-quote.json"),
    asset!("assets/presets/vendor-negotiation.json"),
    asset!("assets/presets/driver-violation.json"),
    asset!("assets/presets/appointment-reminder.json"),
];

/// The rehearsal suite shipped with each preset (`Suite::agent` names the preset).
pub const SHIPPED_SUITES: &[SampleFile] = &[
    asset!("assets/suites/vendor-quote.json"),
    asset!("assets/suites/vendor-negotiation.json"),
    asset!("assets/suites/driver-violation.json"),
    asset!("assets/suites/appointment-reminder.json"),
];

/// The contacts a new database starts with.
pub const SAMPLE_CONTACTS: &[SampleFile] =
    &[asset!("assets/sample/vendors.json"), asset!("assets/sample/drivers.json")];

/// Reads agent presets (one `AgentConfig` per file).
pub fn presets(files: &[SampleFile]) -> Result<Vec<AgentConfig>, SampleError> {
    files.iter().map(SampleFile::parse).collect()
}

/// Seeds the sample agents (one per file) and contacts (a list per file) into a new database,
/// once; later starts do nothing. Returns whether anything was written.
pub fn seed_once(store: &Store, agents: &[SampleFile], contacts: &[SampleFile]) -> Result<bool, SampleError> {
    let agent_configs = presets(agents)?;
    let mut new_contacts: Vec<ContactFields> = Vec::new();
    for file in contacts {
        new_contacts.extend(file.parse::<Vec<ContactFields>>()?);
    }
    // Samples are US numbers; one is deliberately incomplete, to show how the console refuses it.
    let with_phones: Vec<(ContactFields, Option<Phone>)> = new_contacts
        .into_iter()
        .map(|fields| {
            let phone = parse_phone(&fields.phone, "US").ok();
            (fields, phone)
        })
        .collect();
    Ok(store.seed_samples_once(&agent_configs, &with_phones, now())?)
}

/// Seeds a new database with the shipped presets and sample contacts; false when it had data.
pub fn seed_shipped(store: &Store) -> Result<bool, SampleError> {
    seed_once(store, PRESETS, SAMPLE_CONTACTS)
}
