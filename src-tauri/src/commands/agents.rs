//! Commands about agents: list, presets, save with validation.

use switchboard_core::{Agent, AgentConfig, AgentId};
use switchboard_engine::{ErrorCode, sample};
use tauri::State;

use super::{Reply, engine, query, with_store};
use crate::console::Console;
use crate::dto::CommandError;
use switchboard_engine::sample::PRESETS;

#[tauri::command]
pub async fn list_agents(console: State<'_, Console>) -> Reply<Vec<Agent>> {
    query(&console, |store| store.list_agents()).await
}

/// The shipped presets a new agent can start from.
#[tauri::command]
pub fn list_presets() -> Reply<Vec<AgentConfig>> {
    sample::presets(PRESETS).map_err(|err| CommandError::new(ErrorCode::Storage, err.to_string()))
}

/// Creates (no id) or replaces an agent. Every invalid field is reported at once. Backends that
/// keep a copy of the agent on their provider (Ultravox) create, update or delete it first.
#[tauri::command]
pub async fn save_agent(console: State<'_, Console>, id: Option<AgentId>, config: AgentConfig) -> Reply<Agent> {
    let errors = config.validate();
    if !errors.is_empty() {
        return Err(CommandError::invalid(errors));
    }
    let name = config.name.clone();
    with_store(&console, move |store| {
        let taken = store.list_agents()?.into_iter().any(|a| a.config.name == name && Some(a.id) != id);
        if taken {
            let error = switchboard_core::FieldError::new("name", format!("an agent named {name:?} exists"));
            return Err(CommandError::invalid(vec![error]));
        }
        Ok(())
    })
    .await?;
    Ok(engine(&console)?.save_agent(id, config).await?)
}
