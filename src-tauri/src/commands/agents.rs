//! Commands about agents: list, presets, save with validation.

use switchboard_core::{Agent, AgentConfig, AgentId};
use switchboard_engine::{ErrorCode, sample};

use super::{Reply, engine, query, with_store};
use crate::dto::CommandError;
use crate::operations::Ctx;
use switchboard_engine::sample::PRESETS;

pub async fn list_agents(ctx: &Ctx<'_>) -> Reply<Vec<Agent>> {
    query(ctx.console, |store| store.list_agents()).await
}

/// The shipped presets a new agent can start from.
pub async fn list_presets(_: &Ctx<'_>) -> Reply<Vec<AgentConfig>> {
    sample::presets(PRESETS).map_err(|err| CommandError::new(ErrorCode::Storage, err.to_string()))
}

/// Creates (no id) or replaces an agent. Every invalid field is reported at once. Backends that
/// keep a copy of the agent on their provider (Ultravox) create, update or delete it first.
pub async fn save_agent(ctx: &Ctx<'_>, id: Option<AgentId>, config: AgentConfig) -> Reply<Agent> {
    let errors = config.validate();
    if !errors.is_empty() {
        return Err(CommandError::invalid(errors));
    }
    let name = config.name.clone();
    with_store(ctx.console, move |store| {
        let taken = store.list_agents()?.into_iter().any(|a| a.config.name == name && Some(a.id) != id);
        if taken {
            let error = switchboard_core::FieldError::new("name", format!("an agent named {name:?} exists"));
            return Err(CommandError::invalid(vec![error]));
        }
        Ok(())
    })
    .await?;
    Ok(engine(ctx.console)?.save_agent(id, config).await?)
}
