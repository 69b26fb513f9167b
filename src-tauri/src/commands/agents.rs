//! Commands about agents: list, presets, save with validation.

use switchboard_core::{Agent, AgentConfig, AgentId};
use switchboard_engine::{ErrorCode, now, sample};
use tauri::State;

use super::{Reply, query, with_store};
use crate::assets::PRESETS;
use crate::console::Console;
use crate::dto::CommandError;

#[tauri::command]
pub async fn list_agents(console: State<'_, Console>) -> Reply<Vec<Agent>> {
    query(&console, |store| store.list_agents()).await
}

/// The shipped presets a new agent can start from.
#[tauri::command]
pub fn list_presets() -> Reply<Vec<AgentConfig>> {
    sample::presets(PRESETS).map_err(|err| CommandError::new(ErrorCode::Storage, err.to_string()))
}

/// Creates (no id) or replaces an agent. Every invalid field is reported at once.
#[tauri::command]
pub async fn save_agent(console: State<'_, Console>, id: Option<AgentId>, config: AgentConfig) -> Reply<Agent> {
    let errors = config.validate();
    if !errors.is_empty() {
        return Err(CommandError::invalid(errors));
    }
    with_store(&console, move |store| {
        let taken = store.list_agents()?.into_iter().any(|a| a.config.name == config.name && Some(a.id) != id);
        if taken {
            let error = switchboard_core::FieldError::new("name", format!("an agent named {:?} exists", config.name));
            return Err(CommandError::invalid(vec![error]));
        }
        let id = match id {
            Some(id) => {
                store.update_agent(id, &config)?;
                id
            }
            None => store.insert_agent(&config, now())?,
        };
        store.agent(id)?.ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("agent {id} vanished")))
    })
    .await
}
