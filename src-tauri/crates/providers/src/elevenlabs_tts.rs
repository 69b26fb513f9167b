//! ElevenLabs text-to-speech over the `stream-input` WebSocket: text goes in as the agent's
//! answer is generated, μ-law 8 kHz audio (`ulaw_8000`, ready for Twilio media payloads) comes
//! back as it is synthesised, with the timing of the characters it speaks.

mod messages;
mod stream;

pub use messages::{Alignment, AudioMessage, GenerationConfig, InitialMessage, TextMessage, VoiceSettings};
pub use stream::{TtsEvent, TtsReceiver, TtsSender, TtsStream};

use reqwest::header::{HeaderName, HeaderValue};

use crate::elevenlabs::ElevenLabsConfig;
use crate::http::{base_url, path_id, secret_header};
use crate::websocket::WebSocketClient;
use crate::{HttpSettings, Provider, ProviderError};

const PROVIDER: Provider = Provider::ElevenLabs;

/// The audio format asked for: what Twilio media streams carry.
const OUTPUT_FORMAT: &str = "ulaw_8000";

/// Which voice speaks, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct TtsOptions {
    pub voice_id: String,
    /// e.g. `eleven_flash_v2_5` for the lowest latency.
    pub model_id: String,
    /// The ISO 639-1 language the model is held to (`language_code`), for the models that take
    /// one ([`TtsOptions::for_language`]).
    pub language_code: Option<String>,
    /// The voice's own settings when `None`.
    pub voice_settings: Option<VoiceSettings>,
    /// Characters buffered before each of the first generations; docs/providers.md#elevenlabs-tts:
    /// `[120, 160, 250, 290]` by default. [`TtsSender::flush`] speaks what is buffered sooner.
    pub chunk_length_schedule: Vec<u32>,
    /// Seconds without text before ElevenLabs closes the socket (its default, 20 s, when
    /// `None`; at most 180). [`TtsSender::keep_alive`] also holds it open.
    pub inactivity_timeout_secs: Option<u32>,
}

impl TtsOptions {
    pub fn new(voice_id: impl Into<String>, model_id: impl Into<String>) -> Self {
        Self {
            voice_id: voice_id.into(),
            model_id: model_id.into(),
            language_code: None,
            voice_settings: None,
            chunk_length_schedule: vec![120, 160, 250, 290],
            inactivity_timeout_secs: None,
        }
    }
}

/// English-only models and the multilingual model of the same speed that replaces them for
/// another language (elevenlabs.io/docs "Models").
const MULTILINGUAL_FOR: [(&str, &str); 3] = [
    ("eleven_flash_v2", "eleven_flash_v2_5"),
    ("eleven_turbo_v2", "eleven_turbo_v2_5"),
    ("eleven_monolingual_v1", "eleven_multilingual_v2"),
];

/// The models that hold to a `language_code` (the v2.5 models, per the stream-input reference).
const TAKES_LANGUAGE_CODE: [&str; 2] = ["eleven_flash_v2_5", "eleven_turbo_v2_5"];

impl TtsOptions {
    /// Options for speaking `language` (a BCP-47 tag, `es-MX`) with `voice_id` and `model_id`:
    /// an English-only model gives way to its multilingual counterpart for any other language,
    /// and a model that takes a `language_code` is held to the language.
    pub fn for_language(voice_id: impl Into<String>, model_id: &str, language: &str) -> Self {
        let code = language.split(['-', '_']).next().unwrap_or_default().trim().to_ascii_lowercase();
        let english = code.is_empty() || code == "en";
        let model = MULTILINGUAL_FOR
            .iter()
            .find(|(english_only, _)| !english && *english_only == model_id)
            .map_or(model_id, |(_, multilingual)| multilingual);
        let takes_code = code.len() == 2 && TAKES_LANGUAGE_CODE.contains(&model);
        Self { language_code: takes_code.then_some(code), ..Self::new(voice_id, model) }
    }
}

/// Opens text-to-speech streams with the ElevenLabs key (the same account as the agents API).
#[derive(Debug, Clone)]
pub struct ElevenLabsTtsClient {
    socket: WebSocketClient,
    base: String,
    api_key: HeaderValue,
}

impl ElevenLabsTtsClient {
    pub fn new(config: ElevenLabsConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url(PROVIDER, &config.base_url)?,
            api_key: secret_header(PROVIDER, "", &config.api_key)?,
            socket: WebSocketClient::new(PROVIDER, settings, vec![config.api_key])?,
        })
    }

    /// Connects (`/v1/text-to-speech/{voice_id}/stream-input`, retried on 429, 5xx, timeouts and
    /// refused connections; a 401 is surfaced at once) and sends the opening message with the
    /// voice settings and chunk schedule.
    pub async fn stream_input(&self, options: &TtsOptions) -> Result<TtsStream, ProviderError> {
        // The serializer is not `Send`: it must be gone before the first await.
        let query = {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("model_id", &options.model_id).append_pair("output_format", OUTPUT_FORMAT);
            if let Some(language) = &options.language_code {
                query.append_pair("language_code", language);
            }
            if let Some(seconds) = options.inactivity_timeout_secs {
                query.append_pair("inactivity_timeout", &seconds.to_string());
            }
            query.finish()
        };
        let voice_id = path_id(PROVIDER, "voice id", &options.voice_id)?;
        let url = format!("{}/v1/text-to-speech/{voice_id}/stream-input?{query}", self.base);
        let (writer, reader) =
            self.socket.connect(&url, (HeaderName::from_static("xi-api-key"), &self.api_key)).await?;
        TtsStream::open(writer, reader, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::TtsOptions;

    fn chosen(model: &str, language: &str) -> (String, Option<String>) {
        let options = TtsOptions::for_language("voice", model, language);
        (options.model_id, options.language_code)
    }

    #[test]
    fn the_model_and_its_language_code_follow_the_agent_s_language() {
        assert_eq!(chosen("eleven_flash_v2_5", "es-MX"), ("eleven_flash_v2_5".into(), Some("es".into())));
        assert_eq!(chosen("eleven_flash_v2_5", "en"), ("eleven_flash_v2_5".into(), Some("en".into())));
        assert_eq!(chosen("eleven_flash_v2", "de"), ("eleven_flash_v2_5".into(), Some("de".into())));
        assert_eq!(chosen("eleven_turbo_v2", "fr-CA"), ("eleven_turbo_v2_5".into(), Some("fr".into())));
        assert_eq!(chosen("eleven_monolingual_v1", "it"), ("eleven_multilingual_v2".into(), None));
        assert_eq!(chosen("eleven_flash_v2", "en-US"), ("eleven_flash_v2".into(), None), "English stays English-only");
        assert_eq!(chosen("eleven_multilingual_v2", "pt-BR"), ("eleven_multilingual_v2".into(), None));
        assert_eq!(chosen("eleven_flash_v2_5", "multi"), ("eleven_flash_v2_5".into(), None));
    }
}
