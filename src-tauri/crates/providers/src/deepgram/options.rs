//! The query of a live transcription: μ-law 8 kHz mono (Twilio's media), interim results, VAD
//! events and smart formatting always on; the model, the language and the two end-of-speech timers
//! configurable.

/// How Deepgram should listen. The defaults (docs/providers.md#deepgram-live-stt): `nova-3`,
/// English, 300 ms endpointing, 1000 ms utterance end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenOptions {
    pub model: String,
    /// The BCP-47 tag of what the callee speaks (`en`, `es`, `pt-BR`; `multi` for several).
    pub language: String,
    /// Silence (ms) after speech before a result is marked `speech_final`.
    pub endpointing_ms: u32,
    /// Gap (ms) between words after which `UtteranceEnd` is sent, for when no `speech_final`
    /// comes (noise). Deepgram needs at least 1000.
    pub utterance_end_ms: u32,
}

impl Default for ListenOptions {
    fn default() -> Self {
        Self { model: "nova-3".into(), language: "en".into(), endpointing_ms: 300, utterance_end_ms: 1000 }
    }
}

impl ListenOptions {
    /// The `/v1/listen` query string, in docs/providers.md#deepgram-live-stt's order.
    pub(super) fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("model", &self.model)
            .append_pair("language", &self.language)
            .append_pair("encoding", "mulaw")
            .append_pair("sample_rate", "8000")
            .append_pair("channels", "1")
            .append_pair("interim_results", "true")
            .append_pair("endpointing", &self.endpointing_ms.to_string())
            .append_pair("utterance_end_ms", &self.utterance_end_ms.to_string())
            .append_pair("vad_events", "true")
            .append_pair("smart_format", "true")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::ListenOptions;

    #[test]
    fn the_default_query_is_the_documented_one() {
        assert_eq!(
            ListenOptions::default().query(),
            "model=nova-3&language=en&encoding=mulaw&sample_rate=8000&channels=1&interim_results=true&endpointing=300\
             &utterance_end_ms=1000&vad_events=true&smart_format=true"
        );
    }

    #[test]
    fn the_language_is_sent() {
        let options = ListenOptions { language: "es-419".into(), ..ListenOptions::default() };
        assert!(options.query().starts_with("model=nova-3&language=es-419&encoding=mulaw"), "{}", options.query());
    }

    #[test]
    fn a_model_name_cannot_add_parameters() {
        let options = ListenOptions { model: "nova-3&keywords=x".into(), ..ListenOptions::default() };
        assert!(options.query().starts_with("model=nova-3%26keywords%3Dx&"));
    }
}
