//! Agent configurations: what an AI voice agent says, collects and runs on.

use serde::{Deserialize, Serialize};

use crate::AgentId;

/// The call backend an agent runs on. Every backend sits behind the engine's `CallBackend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// The built-in simulated carrier: needs no account.
    Simulator,
    ElevenLabs,
    Pipeline,
    Ultravox,
    Vapi,
    Gather,
}

impl BackendKind {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::ElevenLabs => "eleven-labs",
            Self::Pipeline => "pipeline",
            Self::Ultravox => "ultravox",
            Self::Vapi => "vapi",
            Self::Gather => "gather",
        }
    }

    /// The backend's name as the window shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Simulator => "the simulator",
            Self::ElevenLabs => "ElevenLabs",
            Self::Pipeline => "the voice pipeline",
            Self::Ultravox => "Ultravox",
            Self::Vapi => "Vapi",
            Self::Gather => "speech-gather",
        }
    }

    /// Whether its calls key in a phone extension once answered: those Switchboard places
    /// through Twilio (`SendDigits`); the hosted providers and the simulator dial the main
    /// number only.
    pub fn dials_extensions(self) -> bool {
        matches!(self, Self::Pipeline | Self::Ultravox | Self::Gather)
    }

    /// Parses the text form written by [`BackendKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Simulator, Self::ElevenLabs, Self::Pipeline, Self::Ultravox, Self::Vapi, Self::Gather]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// What an agent is for; presets and campaign kinds key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum AgentPurpose {
    VendorQuote,
    VendorNegotiation,
    DriverViolation,
    Generic,
}

impl AgentPurpose {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VendorQuote => "vendor-quote",
            Self::VendorNegotiation => "vendor-negotiation",
            Self::DriverViolation => "driver-violation",
            Self::Generic => "generic",
        }
    }
}

/// The type of a value an agent collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    Text,
    Number,
    Integer,
    Boolean,
}

/// One piece of data the agent must obtain during the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DataField {
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// What to ask for, in the agent's words.
    pub description: String,
    pub required: bool,
}

/// A sample exchange that shows the agent how to talk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Example {
    pub callee: String,
    pub agent: String,
}

/// What the agent does when a machine answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum VoicemailPolicy {
    #[default]
    HangUp,
    /// Leave this message (with `{{variables}}`), then hang up.
    LeaveMessage { text: String },
}

/// When calls may be placed, in the callee's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallingWindow {
    /// Local start time, "HH:MM".
    pub start: String,
    /// Local end time, "HH:MM" (exclusive).
    pub end: String,
    /// Days of the week calls may be placed, 1 = Monday … 7 = Sunday.
    pub days: Vec<u8>,
}

impl Default for CallingWindow {
    fn default() -> Self {
        Self { start: "09:00".into(), end: "17:00".into(), days: vec![1, 2, 3, 4, 5] }
    }
}

/// ElevenLabs Agents: the agent and the phone number it calls from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct ElevenLabsSettings {
    pub agent_id: String,
    pub agent_phone_number_id: String,
}

/// Ultravox: the agent, its voice and model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct UltravoxSettings {
    pub agent_id: String,
    pub voice: String,
    pub model: String,
}

/// Vapi: the assistant and the phone number it calls from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct VapiSettings {
    pub assistant_id: String,
    pub phone_number_id: String,
}

/// The self-hosted pipeline: which models speak, listen and think.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct PipelineSettings {
    pub llm_model: String,
    pub tts_voice: String,
    pub tts_model: String,
    pub stt_model: String,
    pub language: String,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            llm_model: "claude-sonnet-4-5".into(),
            tts_voice: String::new(),
            tts_model: "eleven_flash_v2_5".into(),
            stt_model: "nova-3".into(),
            language: "en".into(),
        }
    }
}

/// Twilio speech-gather: the voice `<Say>` uses and the recognition language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct GatherSettings {
    pub voice: String,
    pub language: String,
}

impl Default for GatherSettings {
    fn default() -> Self {
        Self { voice: "Polly.Joanna".into(), language: "en-US".into() }
    }
}

/// Each backend's own settings; only the chosen backend's are used (and checked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct BackendSettings {
    pub eleven_labs: ElevenLabsSettings,
    pub ultravox: UltravoxSettings,
    pub vapi: VapiSettings,
    pub pipeline: PipelineSettings,
    pub gather: GatherSettings,
}

/// An agent's configuration as the dispatcher edits it (and as presets ship in `assets/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentConfig {
    pub name: String,
    pub purpose: AgentPurpose,
    pub backend: BackendKind,
    #[serde(default)]
    pub backend_settings: BackendSettings,
    /// The organisation the agent calls for (`{{organization}}` in templates).
    pub organization: String,
    /// System prompt, with `{{variables}}`.
    pub system_prompt: String,
    /// The first thing the agent says when answered, with `{{variables}}`.
    pub first_message: String,
    /// A short hello said before the first message (speech-gather speaks it first); may be empty.
    #[serde(default)]
    pub greeting: String,
    pub data_fields: Vec<DataField>,
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Where to transfer the callee when they ask for a person (E.164); may use `{{transfer_to}}`.
    #[serde(default)]
    pub transfer_to: String,
    /// Longest the call may last before the agent wraps up.
    pub max_duration_secs: u32,
    /// Silence after which the agent re-prompts once, then ends the call.
    #[serde(default = "default_silence_timeout")]
    pub silence_timeout_secs: u32,
    #[serde(default)]
    pub voicemail: VoicemailPolicy,
    #[serde(default)]
    pub calling_window: CallingWindow,
}

fn default_silence_timeout() -> u32 {
    20
}

/// A problem with one field of a form, for inline validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// The field's path, e.g. `name`, `dataFields.2.key`, `backendSettings.vapi.assistantId`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The longest call an agent may be set to make (4 hours): beyond it a typo, not a call.
pub const MAX_CALL_SECS: u32 = 4 * 60 * 60;
/// The longest silence an agent may be set to wait out before hanging up.
pub const MAX_SILENCE_SECS: u32 = 10 * 60;

impl AgentConfig {
    /// Every `{{variable}}` the agent's texts use.
    pub fn variables(&self) -> Vec<String> {
        let mut names = Vec::new();
        let voicemail = match &self.voicemail {
            VoicemailPolicy::LeaveMessage { text } => text.as_str(),
            VoicemailPolicy::HangUp => "",
        };
        for text in [&self.system_prompt, &self.first_message, &self.greeting, &self.transfer_to]
            .into_iter()
            .map(String::as_str)
            .chain([voicemail])
        {
            for name in crate::template::variables_in(text) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Checks the configuration; every problem is reported with the field it is in.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut require = |field: &str, value: &str, what: &str| {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, format!("{what} is required")));
            }
        };
        require("name", &self.name, "a name");
        require("systemPrompt", &self.system_prompt, "a system prompt");
        require("firstMessage", &self.first_message, "a first message");
        let settings = &self.backend_settings;
        match self.backend {
            BackendKind::Simulator => {}
            BackendKind::ElevenLabs => {
                require(
                    "backendSettings.elevenLabs.agentId",
                    &settings.eleven_labs.agent_id,
                    "the ElevenLabs agent id",
                );
                require(
                    "backendSettings.elevenLabs.agentPhoneNumberId",
                    &settings.eleven_labs.agent_phone_number_id,
                    "the ElevenLabs phone number id",
                );
            }
            // Saving the agent creates it on Ultravox and fills in its agent id.
            BackendKind::Ultravox => {}
            BackendKind::Vapi => {
                require("backendSettings.vapi.assistantId", &settings.vapi.assistant_id, "the Vapi assistant id");
                require(
                    "backendSettings.vapi.phoneNumberId",
                    &settings.vapi.phone_number_id,
                    "the Vapi phone number id",
                );
            }
            BackendKind::Pipeline => {
                require("backendSettings.pipeline.llmModel", &settings.pipeline.llm_model, "an LLM model");
                require("backendSettings.pipeline.ttsVoice", &settings.pipeline.tts_voice, "a TTS voice");
                require("backendSettings.pipeline.ttsModel", &settings.pipeline.tts_model, "a TTS model");
                require("backendSettings.pipeline.sttModel", &settings.pipeline.stt_model, "an STT model");
                require("backendSettings.pipeline.language", &settings.pipeline.language, "a language");
            }
            BackendKind::Gather => {
                require("backendSettings.gather.voice", &settings.gather.voice, "a voice");
                require("backendSettings.gather.language", &settings.gather.language, "a language");
            }
        }
        if let VoicemailPolicy::LeaveMessage { text } = &self.voicemail {
            require("voicemail.text", text, "the voicemail message");
        }
        if !(1..=MAX_CALL_SECS).contains(&self.max_duration_secs) {
            errors.push(FieldError::new(
                "maxDurationSecs",
                format!("the maximum call length must be 1 to {MAX_CALL_SECS} seconds (4 hours)"),
            ));
        }
        if !(1..=MAX_SILENCE_SECS).contains(&self.silence_timeout_secs) {
            errors.push(FieldError::new(
                "silenceTimeoutSecs",
                format!("the silence timeout must be 1 to {MAX_SILENCE_SECS} seconds"),
            ));
        }
        let transfer = self.transfer_to.trim();
        if !transfer.is_empty()
            && crate::template::variables_in(transfer).is_empty()
            && let Err(err) = crate::normalize_phone(transfer, "US")
        {
            errors.push(FieldError::new("transferTo", err.to_string()));
        }
        for (i, field) in self.data_fields.iter().enumerate() {
            let key = field.key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                errors.push(FieldError::new(
                    format!("dataFields.{i}.key"),
                    "a key is lower-case letters, digits and underscores, e.g. unit_price",
                ));
            } else if self.data_fields[..i].iter().any(|other| other.key.trim() == key) {
                errors.push(FieldError::new(format!("dataFields.{i}.key"), format!("{key} is collected twice")));
            }
            if field.description.trim().is_empty() {
                errors.push(FieldError::new(format!("dataFields.{i}.description"), "say what to ask for"));
            }
        }
        errors.extend(self.calling_window.validate());
        errors
    }
}

impl CallingWindow {
    /// Checks the window's times and days.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let start = parse_hhmm(&self.start);
        let end = parse_hhmm(&self.end);
        if start.is_none() {
            errors.push(FieldError::new("callingWindow.start", "use 24-hour HH:MM, e.g. 09:00"));
        }
        if end.is_none() {
            errors.push(FieldError::new("callingWindow.end", "use 24-hour HH:MM, e.g. 17:00"));
        }
        if let (Some(start), Some(end)) = (start, end)
            && start >= end
        {
            errors.push(FieldError::new("callingWindow.end", "the window must end after it starts"));
        }
        if self.days.is_empty() || self.days.iter().any(|day| !(1..=7).contains(day)) {
            errors.push(FieldError::new("callingWindow.days", "pick at least one day, Monday (1) to Sunday (7)"));
        }
        errors
    }
}

/// Minutes after midnight of an "HH:MM" time.
pub fn parse_hhmm(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60 && text.trim().len() == 5).then_some(hours * 60 + minutes)
}

/// A stored agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: AgentId,
    #[serde(flatten)]
    pub config: AgentConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset() -> AgentConfig {
        AgentConfig {
            name: "Quote".into(),
            purpose: AgentPurpose::VendorQuote,
            backend: BackendKind::Simulator,
            backend_settings: BackendSettings::default(),
            organization: "Northwind".into(),
            system_prompt: "Call {{vendor_name}}.".into(),
            first_message: "Hi {{vendor_name}}, {{item}}?".into(),
            greeting: String::new(),
            data_fields: vec![DataField {
                key: "unit_price".into(),
                field_type: FieldType::Number,
                description: "Unit price".into(),
                required: true,
            }],
            examples: vec![],
            transfer_to: String::new(),
            max_duration_secs: 300,
            silence_timeout_secs: 20,
            voicemail: VoicemailPolicy::LeaveMessage { text: "Call {{organization}} back.".into() },
            calling_window: CallingWindow::default(),
        }
    }

    #[test]
    fn a_complete_agent_is_valid_and_lists_its_variables() {
        assert_eq!(preset().validate(), vec![]);
        assert_eq!(preset().variables(), vec!["vendor_name", "item", "organization"]);
    }

    #[test]
    fn absurd_limits_are_refused_by_name() {
        let mut agent = preset();
        agent.max_duration_secs = 99_999_999;
        agent.silence_timeout_secs = MAX_SILENCE_SECS + 1;
        let errors = agent.validate();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["maxDurationSecs", "silenceTimeoutSecs"]);
        assert!(errors[0].message.contains("1 to 14400 seconds"), "{}", errors[0].message);
        agent.max_duration_secs = MAX_CALL_SECS;
        agent.silence_timeout_secs = MAX_SILENCE_SECS;
        assert_eq!(agent.validate(), vec![]);
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut agent = preset();
        agent.name = " ".into();
        agent.backend = BackendKind::Vapi;
        agent.transfer_to = "12".into();
        agent.data_fields.push(agent.data_fields[0].clone());
        agent.data_fields.push(DataField {
            key: "Unit Price".into(),
            description: "".into(),
            ..agent.data_fields[0].clone()
        });
        agent.calling_window = CallingWindow { start: "17:00".into(), end: "9:00".into(), days: vec![0] };
        let fields: Vec<String> = agent.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "backendSettings.vapi.assistantId",
                "backendSettings.vapi.phoneNumberId",
                "transferTo",
                "dataFields.1.key",
                "dataFields.2.key",
                "dataFields.2.description",
                "callingWindow.end",
                "callingWindow.days"
            ]
        );
    }

    #[test]
    fn times_are_24_hour_hh_mm() {
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        for bad in ["9:30", "24:00", "12:60", "noon", ""] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }
}
