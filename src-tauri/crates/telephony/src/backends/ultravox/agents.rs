//! Ultravox agents kept in sync with local ones: saving an agent on Ultravox creates its
//! Ultravox agent (the id is stored with it) or updates it; moving it to another backend deletes
//! it. The agent's prompt and first message keep their `{{variables}}`, which Ultravox fills
//! from each call's `templateContext`. An agent with data fields gets a `record_field` tool;
//! the values it records are read from the call's messages after the call.

use switchboard_core::{AgentConfig, BackendKind};
use switchboard_providers::signature::ULTRAVOX_TOOL_KEY_HEADER;
use switchboard_providers::ultravox::{AgentSpec, CallTemplate, HttpTool, ToolHeader, ToolParameter};

use super::{ULTRAVOX_TOOL_PATH, Ultravox, provider_error};
use switchboard_engine::{BackendError, BoxFuture};

/// The tool the agent records each collected value with.
pub const RECORD_FIELD_TOOL: &str = "record_field";

impl Ultravox {
    /// The Ultravox side of saving `config` (see [`CallBackend::sync_agent`](switchboard_engine::CallBackend::sync_agent)).
    pub(super) fn sync(
        &self,
        previous: Option<AgentConfig>,
        mut config: AgentConfig,
    ) -> BoxFuture<'static, Result<AgentConfig, BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            // Without a key there is no copy to keep: a call is refused until the agent is saved
            // again with one set.
            let Some(client) = backend.clients.current().ultravox.clone() else {
                return Ok(config);
            };
            if config.backend != BackendKind::Ultravox {
                let left = previous
                    .filter(|previous| previous.backend == BackendKind::Ultravox)
                    .map(|previous| previous.backend_settings.ultravox.agent_id.trim().to_owned())
                    .filter(|agent_id| !agent_id.is_empty());
                if let Some(agent_id) = left {
                    client.delete_agent(&agent_id).await.map_err(provider_error)?;
                    config.backend_settings.ultravox.agent_id.clear();
                }
                return Ok(config);
            }
            let spec = backend.spec(&config);
            let agent_id = config.backend_settings.ultravox.agent_id.trim().to_owned();
            let updated = match agent_id.as_str() {
                "" => None,
                agent_id => match client.update_agent(agent_id, &spec).await {
                    Ok(agent) => Some(agent),
                    // Deleted on Ultravox's side: made anew.
                    Err(error) if error.status() == Some(404) => None,
                    Err(error) => return Err(provider_error(error)),
                },
            };
            let agent = match updated {
                Some(agent) => agent,
                None => client.create_agent(&spec).await.map_err(provider_error)?,
            };
            config.backend_settings.ultravox.agent_id = agent.agent_id;
            Ok(config)
        })
    }

    /// The Ultravox agent for `config`.
    fn spec(&self, config: &AgentConfig) -> AgentSpec {
        let settings = &config.backend_settings.ultravox;
        let text = |value: &str| Some(value.trim().to_owned()).filter(|value| !value.is_empty());
        let tools = if config.data_fields.is_empty() {
            Vec::new()
        } else {
            let keys: Vec<String> =
                config.data_fields.iter().map(|field| format!("{} ({})", field.key, field.description)).collect();
            vec![HttpTool {
                name: RECORD_FIELD_TOOL.to_owned(),
                description: format!(
                    "Record a value the callee gave, as soon as they give it. Call it once per value. Keys: {}.",
                    keys.join("; ")
                ),
                parameters: vec![
                    ToolParameter {
                        name: "key".into(),
                        description: "Which value, one of the keys.".into(),
                        required: true,
                    },
                    ToolParameter {
                        name: "value".into(),
                        description: "The value, as the callee said it.".into(),
                        required: true,
                    },
                ],
                url: self.dialer.public_url(ULTRAVOX_TOOL_PATH),
                // Without an Ultravox webhook secret the listener refuses the tool's requests
                // (503) anyway, as it refuses Ultravox's webhooks.
                headers: self
                    .clients
                    .current()
                    .webhook_keys
                    .ultravox_tool_key()
                    .map(|value| ToolHeader { name: ULTRAVOX_TOOL_KEY_HEADER.to_owned(), value })
                    .into_iter()
                    .collect(),
            }]
        };
        AgentSpec {
            name: config.name.clone(),
            template: CallTemplate {
                system_prompt: config.system_prompt.clone(),
                voice: text(&settings.voice),
                first_message: text(&config.first_message),
                model: text(&settings.model),
                temperature: None,
                language_hint: None,
                max_duration_secs: Some(config.max_duration_secs),
                // Twilio records the call.
                recording_enabled: false,
                tools,
            },
        }
    }
}
