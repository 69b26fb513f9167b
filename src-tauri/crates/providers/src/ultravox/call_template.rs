//! The call settings shared by an Ultravox agent's `callTemplate` and a direct call.

use serde::{Serialize, Serializer};

use crate::Secret;

/// How an Ultravox agent behaves on a call: prompt, voice, opening line and limits. Built from
/// Switchboard's own agent configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallTemplate {
    pub system_prompt: String,
    pub voice: Option<String>,
    /// The agent's opening line; `None` lets the callee speak first.
    pub first_message: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    /// BCP 47, e.g. `en-US`.
    pub language_hint: Option<String>,
    pub max_duration_secs: Option<u32>,
    pub recording_enabled: bool,
    /// Tools defined for this agent alone (Ultravox's temporary tools).
    pub tools: Vec<HttpTool>,
}

/// A tool the agent may call, answered by an HTTP endpoint (POST, parameters in the JSON body).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpTool {
    /// The name the model sees: `[a-zA-Z0-9_-]{1,64}`.
    pub name: String,
    pub description: String,
    pub parameters: Vec<ToolParameter>,
    pub url: String,
    /// Headers Ultravox adds to every request of the tool (static parameters the model never
    /// sees): how the listener knows the request came from our agent.
    pub headers: Vec<ToolHeader>,
}

/// A header an [`HttpTool`]'s requests carry, such as a key the endpoint checks.
#[derive(Debug, Clone)]
pub struct ToolHeader {
    pub name: String,
    pub value: Secret,
}

impl PartialEq for ToolHeader {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value.expose() == other.value.expose()
    }
}

/// A text parameter of an [`HttpTool`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolParameter {
    pub name: String,
    pub description: String,
    pub required: bool,
}

/// A duration as Ultravox writes it: `"600s"`.
pub(super) fn seconds(secs: u32) -> String {
    format!("{secs}s")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    system_prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    voice: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language_hint: Option<&'a str>,
    first_speaker_settings: FirstSpeaker<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_duration: Option<String>,
    recording_enabled: bool,
    medium: TwilioMedium,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    selected_tools: Vec<SelectedTool<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SelectedTool<'a> {
    temporary_tool: ToolWire<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolWire<'a> {
    model_tool_name: &'a str,
    description: &'a str,
    dynamic_parameters: Vec<ParameterWire<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    static_parameters: Vec<StaticParameterWire<'a>>,
    http: HttpWire<'a>,
}

#[derive(Serialize)]
struct StaticParameterWire<'a> {
    name: &'a str,
    location: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct ParameterWire<'a> {
    name: &'a str,
    location: &'static str,
    schema: SchemaWire<'a>,
    required: bool,
}

#[derive(Serialize)]
struct SchemaWire<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpWire<'a> {
    base_url_pattern: &'a str,
    http_method: &'static str,
}

impl HttpTool {
    fn wire(&self) -> SelectedTool<'_> {
        SelectedTool {
            temporary_tool: ToolWire {
                model_tool_name: &self.name,
                description: &self.description,
                dynamic_parameters: self
                    .parameters
                    .iter()
                    .map(|parameter| ParameterWire {
                        name: &parameter.name,
                        location: "PARAMETER_LOCATION_BODY",
                        schema: SchemaWire { kind: "string", description: &parameter.description },
                        required: parameter.required,
                    })
                    .collect(),
                static_parameters: self
                    .headers
                    .iter()
                    .map(|header| StaticParameterWire {
                        name: &header.name,
                        location: "PARAMETER_LOCATION_HEADER",
                        value: header.value.expose(),
                    })
                    .collect(),
                http: HttpWire { base_url_pattern: &self.url, http_method: "POST" },
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum FirstSpeaker<'a> {
    Agent { text: &'a str },
    User {},
}

/// `{"twilio":{}}`: the call's audio comes through a Twilio `<Connect><Stream>`.
#[derive(Serialize)]
pub(super) struct TwilioMedium {
    twilio: Empty,
}

#[derive(Serialize)]
struct Empty {}

impl TwilioMedium {
    pub(super) const fn new() -> Self {
        Self { twilio: Empty {} }
    }
}

impl Serialize for CallTemplate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            system_prompt: &self.system_prompt,
            voice: self.voice.as_deref(),
            model: self.model.as_deref(),
            temperature: self.temperature,
            language_hint: self.language_hint.as_deref(),
            first_speaker_settings: match &self.first_message {
                Some(text) => FirstSpeaker::Agent { text },
                None => FirstSpeaker::User {},
            },
            max_duration: self.max_duration_secs.map(seconds),
            recording_enabled: self.recording_enabled,
            medium: TwilioMedium::new(),
            selected_tools: self.tools.iter().map(HttpTool::wire).collect(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{CallTemplate, HttpTool, ToolHeader, ToolParameter};
    use crate::Secret;

    #[test]
    fn serializes_to_the_ultravox_call_shape() {
        let template = CallTemplate {
            system_prompt: "You call vendors for quotes.".into(),
            voice: Some("Jessica".into()),
            first_message: Some("Hi, this is Sam from Switchboard.".into()),
            temperature: Some(0.4),
            max_duration_secs: Some(600),
            recording_enabled: true,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&template).unwrap(),
            json!({"systemPrompt":"You call vendors for quotes.","voice":"Jessica","temperature":0.4,
                   "firstSpeakerSettings":{"agent":{"text":"Hi, this is Sam from Switchboard."}},
                   "maxDuration":"600s","recordingEnabled":true,"medium":{"twilio":{}}})
        );
        let with_tool = CallTemplate {
            system_prompt: "p".into(),
            tools: vec![HttpTool {
                name: "record_field".into(),
                description: "Record a value.".into(),
                parameters: vec![ToolParameter {
                    name: "key".into(),
                    description: "Which value.".into(),
                    required: true,
                }],
                url: "https://tunnel.example/ultravox/tools/record-field".into(),
                headers: vec![ToolHeader { name: "X-Tool-Key".into(), value: Secret::new("k1") }],
            }],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&with_tool).unwrap()["selectedTools"],
            json!([{"temporaryTool": {"modelToolName": "record_field", "description": "Record a value.",
                "dynamicParameters": [{"name": "key", "location": "PARAMETER_LOCATION_BODY",
                    "schema": {"type": "string", "description": "Which value."}, "required": true}],
                "staticParameters": [{"name": "X-Tool-Key", "location": "PARAMETER_LOCATION_HEADER", "value": "k1"}],
                "http": {"baseUrlPattern": "https://tunnel.example/ultravox/tools/record-field", "httpMethod": "POST"}}}])
        );
        let user_first = CallTemplate { system_prompt: "p".into(), ..Default::default() };
        assert_eq!(
            serde_json::to_value(&user_first).unwrap(),
            json!({"systemPrompt":"p","firstSpeakerSettings":{"user":{}},"recordingEnabled":false,"medium":{"twilio":{}}})
        );
    }
}
