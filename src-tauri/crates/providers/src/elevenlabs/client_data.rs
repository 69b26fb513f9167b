//! `conversation_initiation_client_data`: the per-call dynamic variables and overrides that
//! shape an ElevenLabs agent's conversation.

use serde::{Serialize, Serializer};

use crate::Variables;

/// Per-call changes to the agent's configuration (each must be allowed in the agent's security
/// settings, or ElevenLabs refuses the call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationOverrides {
    pub prompt: Option<String>,
    pub first_message: Option<String>,
    /// e.g. `en`
    pub language: Option<String>,
    pub voice_id: Option<String>,
}

/// What a call starts with: `{{name}}` values and configuration overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientData {
    /// Values for `{{name}}` in the prompt and first message. The `system__` prefix is reserved.
    pub dynamic_variables: Variables,
    pub overrides: ConversationOverrides,
}

/// The first reserved (`system__`) variable name, which ElevenLabs would refuse.
pub(super) fn reserved_name(variables: &Variables) -> Option<&str> {
    variables.keys().map(String::as_str).find(|name| name.starts_with("system__"))
}

#[derive(Serialize)]
struct Wire<'a> {
    dynamic_variables: &'a Variables,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_config_override: Option<ConfigOverride<'a>>,
}

#[derive(Serialize)]
struct ConfigOverride<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<AgentOverride<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tts: Option<TtsOverride<'a>>,
}

#[derive(Serialize)]
struct AgentOverride<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<PromptOverride<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
}

#[derive(Serialize)]
struct PromptOverride<'a> {
    prompt: &'a str,
}

#[derive(Serialize)]
struct TtsOverride<'a> {
    voice_id: &'a str,
}

impl Serialize for ClientData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let overrides = &self.overrides;
        let agent = (overrides.prompt.is_some() || overrides.first_message.is_some() || overrides.language.is_some())
            .then(|| AgentOverride {
                prompt: overrides.prompt.as_deref().map(|prompt| PromptOverride { prompt }),
                first_message: overrides.first_message.as_deref(),
                language: overrides.language.as_deref(),
            });
        let tts = overrides.voice_id.as_deref().map(|voice_id| TtsOverride { voice_id });
        let conversation_config_override = (agent.is_some() || tts.is_some()).then_some(ConfigOverride { agent, tts });
        Wire { dynamic_variables: &self.dynamic_variables, conversation_config_override }.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ClientData, ConversationOverrides, reserved_name};
    use crate::Variables;

    #[test]
    fn overrides_nest_as_documented_and_unset_ones_are_left_out() {
        let data = ClientData {
            dynamic_variables: Variables::from([("vendorName".to_owned(), "Acme".into())]),
            overrides: ConversationOverrides {
                prompt: Some("You call vendors.".into()),
                first_message: Some("Hi {{vendorName}}".into()),
                language: Some("en".into()),
                voice_id: Some("voice-1".into()),
            },
        };
        assert_eq!(
            serde_json::to_value(&data).unwrap(),
            json!({"dynamic_variables":{"vendorName":"Acme"},"conversation_config_override":{
                "agent":{"prompt":{"prompt":"You call vendors."},"first_message":"Hi {{vendorName}}","language":"en"},
                "tts":{"voice_id":"voice-1"}}})
        );
        let only_voice = ClientData {
            overrides: ConversationOverrides { voice_id: Some("v".into()), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&only_voice).unwrap(),
            json!({"dynamic_variables":{},"conversation_config_override":{"tts":{"voice_id":"v"}}})
        );
        assert_eq!(serde_json::to_value(ClientData::default()).unwrap(), json!({"dynamic_variables":{}}));
    }

    #[test]
    fn reserved_variable_names_are_found() {
        let mut data = ClientData::default();
        assert_eq!(reserved_name(&data.dynamic_variables), None);
        data.dynamic_variables.insert("system__call_sid".into(), "x".into());
        assert_eq!(reserved_name(&data.dynamic_variables), Some("system__call_sid"));
    }
}
