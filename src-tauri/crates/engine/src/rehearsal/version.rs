//! An agent version: a hash of its whole configuration, so results belong to what was rehearsed.

use sha2::{Digest, Sha256};
use switchboard_core::AgentConfig;

/// The version of an agent configured as `config`: the first 12 hex digits of the SHA-256 of its
/// JSON. Any change to the configuration (prompt, fields, backend, limits) is a new version.
pub fn agent_version(config: &AgentConfig) -> String {
    // An AgentConfig always serialises: its maps have string keys.
    let json = serde_json::to_vec(config).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..6])
}

#[cfg(test)]
mod tests {
    use super::agent_version;

    #[test]
    fn any_change_is_a_new_version_and_the_same_config_the_same() {
        let config: switchboard_core::AgentConfig =
            serde_json::from_str(include_str!("../../../../../assets/presets/vendor-quote.json")).unwrap();
        let version = agent_version(&config);
        assert_eq!(version.len(), 12);
        assert_eq!(agent_version(&config.clone()), version);
        let mut changed = config;
        changed.system_prompt.push('.');
        assert_ne!(agent_version(&changed), version);
    }
}
