//! Saving an agent: the backends that keep a copy of it on their provider (Ultravox) are
//! brought in line first, so the stored agent carries the provider's id.

use std::sync::Arc;

use switchboard_core::{Agent, AgentConfig, AgentId};

use crate::blocking;
use crate::{Engine, EngineError, now};

impl Engine {
    /// Saves an agent (a new one when `id` is `None`). The backend it leaves deletes its copy
    /// and the backend it is on creates or updates one; a provider refusing leaves the agent
    /// unsaved, with the provider's reason. The caller validates `config` first.
    pub async fn save_agent(&self, id: Option<AgentId>, config: AgentConfig) -> Result<Agent, EngineError> {
        let store = Arc::clone(self.store());
        let previous = match id {
            Some(id) => Some(blocking(move || store.agent(id)).await?.ok_or(EngineError::AgentNotFound(id))?.config),
            None => None,
        };
        let mut config = config;
        let left = previous.as_ref().map(|previous| previous.backend).filter(|kind| *kind != config.backend);
        for kind in left.into_iter().chain([config.backend]) {
            if let Some(backend) = self.backend(kind) {
                config = backend.sync_agent(previous.clone(), config).await.map_err(EngineError::AgentSync)?;
            }
        }
        let store = Arc::clone(self.store());
        blocking(move || {
            let id = match id {
                Some(id) => {
                    store.update_agent(id, &config)?;
                    id
                }
                None => store.insert_agent(&config, now())?,
            };
            Ok::<_, EngineError>(Agent { id, config })
        })
        .await
    }
}
