//! The `stream-input` messages as they are on the wire: the opening message, text chunks, and
//! the audio messages ElevenLabs answers with.

use serde::{Deserialize, Serialize};

/// The first message: a single space, the voice settings and the generation schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitialMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_settings: Option<VoiceSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
}

/// A voice's settings; those left `None` keep the voice's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VoiceSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity_boost: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_speaker_boost: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationConfig {
    pub chunk_length_schedule: Vec<u32>,
}

/// Text to speak (ending with a space), `" "` to keep the socket alive, `""` to end; with
/// `flush`, everything buffered is spoken now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flush: bool,
}

/// What ElevenLabs sends: audio with its alignment, then `{"isFinal": true}`. An `error` field
/// (shape UNCONFIRMED) reports a failure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AudioMessage {
    /// Base64 of the raw audio in the requested format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized_alignment: Option<Alignment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alignment: Option<Alignment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// When each character of the text is spoken within this chunk of audio, in milliseconds: what
/// lets a barge-in keep only the words that were played.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Alignment {
    pub chars: Vec<String>,
    pub char_start_times_ms: Vec<f64>,
    /// Also read under its older spelling, `charsDurationsMs`.
    #[serde(alias = "charsDurationsMs")]
    pub char_durations_ms: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{AudioMessage, GenerationConfig, InitialMessage, TextMessage, VoiceSettings};

    #[test]
    fn outgoing_messages_have_the_documented_shapes() {
        let initial = InitialMessage {
            text: " ".into(),
            voice_settings: Some(VoiceSettings {
                stability: Some(0.5),
                similarity_boost: Some(0.75),
                ..VoiceSettings::default()
            }),
            generation_config: Some(GenerationConfig { chunk_length_schedule: vec![120, 160, 250, 290] }),
        };
        assert_eq!(
            serde_json::to_value(initial).unwrap(),
            json!({"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.75},
                   "generation_config": {"chunk_length_schedule": [120, 160, 250, 290]}})
        );
        let text = TextMessage { text: "Hello world. ".into(), flush: false };
        assert_eq!(serde_json::to_string(&text).unwrap(), r#"{"text":"Hello world. "}"#);
        let flush = TextMessage { text: " ".into(), flush: true };
        assert_eq!(serde_json::to_string(&flush).unwrap(), r#"{"text":" ","flush":true}"#);
    }

    #[test]
    fn reads_audio_alignment_in_both_spellings_and_the_final_message() {
        let message: AudioMessage = serde_json::from_value(json!({
            "audio": "AAEC",
            "normalizedAlignment": {"charStartTimesMs": [0, 50], "charDurationsMs": [50, 60], "chars": ["H", "i"]},
            "alignment": {"charStartTimesMs": [0, 50], "charsDurationsMs": [50, 60], "chars": ["H", "i"]}
        }))
        .unwrap();
        assert_eq!(message.normalized_alignment.unwrap().char_durations_ms, [50.0, 60.0]);
        assert_eq!(message.alignment.unwrap().char_durations_ms, [50.0, 60.0]);
        let last: AudioMessage = serde_json::from_value(json!({"audio": null, "isFinal": true})).unwrap();
        assert_eq!((last.audio, last.is_final), (None, Some(true)));
    }
}
