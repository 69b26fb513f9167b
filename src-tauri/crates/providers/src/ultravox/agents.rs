//! Ultravox agents: reusable call templates kept in sync with Switchboard's agent configs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CallTemplate;
use super::call_template::{TwilioMedium, seconds};
use crate::Variables;

/// An agent as Switchboard defines it, to create or update on Ultravox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentSpec {
    /// Shown in Ultravox's console; characters it does not allow become `_`.
    pub name: String,
    pub template: CallTemplate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AgentWire<'a> {
    name: String,
    call_template: &'a CallTemplate,
}

impl AgentSpec {
    pub(super) fn wire(&self) -> AgentWire<'_> {
        AgentWire { name: agent_name(&self.name), call_template: &self.template }
    }
}

/// Ultravox agent names are 1–64 of `[A-Za-z0-9_-]`.
fn agent_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    if cleaned.is_empty() { "agent".to_owned() } else { cleaned }
}

/// Ultravox's answer about an agent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UltravoxAgent {
    pub agent_id: String,
    pub name: Option<String>,
    pub published_revision_id: Option<String>,
    pub created: Option<String>,
}

/// A call with an existing agent; its audio is bridged through Twilio.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCall {
    /// Values for the agent template's `{{name}}` placeholders.
    pub template_context: Variables,
    /// Echoed on the call and its webhooks (our call id goes here).
    pub metadata: BTreeMap<String, String>,
    #[serde(rename = "maxDuration", skip_serializing_if = "Option::is_none", serialize_with = "duration")]
    pub max_duration_secs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_enabled: Option<bool>,
}

#[derive(Serialize)]
pub(super) struct AgentCallWire<'a> {
    #[serde(flatten)]
    call: &'a AgentCall,
    medium: TwilioMedium,
}

impl AgentCall {
    pub(super) fn wire(&self) -> AgentCallWire<'_> {
        AgentCallWire { call: self, medium: TwilioMedium::new() }
    }
}

pub(super) fn duration<S: serde::Serializer>(secs: &Option<u32>, serializer: S) -> Result<S::Ok, S::Error> {
    match secs {
        Some(secs) => serializer.serialize_str(&seconds(*secs)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{AgentCall, AgentSpec, agent_name};
    use crate::ultravox::CallTemplate;

    #[test]
    fn agent_names_fit_ultravox_rules() {
        assert_eq!(agent_name("Quote agent (round 2)"), "Quote_agent__round_2_");
        assert_eq!(agent_name(&"x".repeat(80)).len(), 64);
        assert_eq!(agent_name("  "), "agent");
    }

    #[test]
    fn agent_and_agent_call_bodies() {
        let spec = AgentSpec {
            name: "Quotes".into(),
            template: CallTemplate { system_prompt: "p".into(), ..Default::default() },
        };
        assert_eq!(
            serde_json::to_value(spec.wire()).unwrap(),
            json!({"name":"Quotes","callTemplate":{"systemPrompt":"p","firstSpeakerSettings":{"user":{}},
                   "recordingEnabled":false,"medium":{"twilio":{}}}})
        );
        let call = AgentCall {
            template_context: [("vendorName".to_owned(), "Acme".into())].into(),
            metadata: [("switchboardCallId".to_owned(), "42".to_owned())].into(),
            max_duration_secs: Some(300),
            recording_enabled: None,
        };
        assert_eq!(
            serde_json::to_value(call.wire()).unwrap(),
            json!({"templateContext":{"vendorName":"Acme"},"metadata":{"switchboardCallId":"42"},
                   "maxDuration":"300s","medium":{"twilio":{}}})
        );
    }
}
