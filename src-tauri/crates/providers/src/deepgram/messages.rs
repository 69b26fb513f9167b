//! Deepgram's live messages as they are on the wire: what the server sends (`ServerMessage`,
//! JSON text frames tagged by `type`) and the control messages we send besides audio.

use serde::{Deserialize, Serialize};

/// A text frame from Deepgram. Unknown types are read as [`ServerMessage::Unknown`] and passed
/// over; unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    Results(Results),
    UtteranceEnd(UtteranceEnd),
    SpeechStarted(SpeechStarted),
    Metadata(Metadata),
    /// Not pinned (docs/providers.md#deepgram-live-stt; the SDKs' `ErrorResponse`); Deepgram
    /// mostly reports errors with a close frame instead.
    Error(DeepgramErrorMessage),
    #[serde(other)]
    Unknown,
}

/// A transcript of the audio from `start` for `duration` seconds: interim (`is_final: false`),
/// final, and final at an endpoint (`speech_final: true`, the caller's turn ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub is_final: bool,
    #[serde(default)]
    pub speech_final: bool,
    pub start: f64,
    pub duration: f64,
    pub channel: ResultsChannel,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultsChannel {
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Alternative {
    pub transcript: String,
    pub confidence: f64,
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Word {
    pub word: String,
    pub start: f64,
    pub end: f64,
    pub confidence: f64,
    /// With `smart_format`: the word as printed (capitals, punctuation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub punctuated_word: Option<String>,
}

/// No word for `utterance_end_ms` after the last one, which ended at `last_word_end` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UtteranceEnd {
    #[serde(default)]
    pub channel: Vec<u32>,
    pub last_word_end: f64,
}

/// Voice activity began (sent with `vad_events=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeechStarted {
    #[serde(default)]
    pub channel: Vec<u32>,
    pub timestamp: f64,
}

/// The summary Deepgram sends before closing: request id and seconds of audio processed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    pub request_id: String,
    pub duration: f64,
    pub channels: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeepgramErrorMessage {
    pub description: String,
    pub message: String,
    pub variant: String,
}

impl DeepgramErrorMessage {
    /// A one-line account: the description, else the message, else the variant.
    pub(super) fn reason(&self) -> &str {
        [&self.description, &self.message, &self.variant]
            .into_iter()
            .find(|text| !text.trim().is_empty())
            .map_or("unspecified error", |text| text.as_str())
    }
}

/// The text frames we send: keep the socket open through silence, flush what was heard, end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Control {
    KeepAlive,
    Finalize,
    CloseStream,
}

impl Control {
    pub(super) fn json(self) -> &'static str {
        match self {
            Self::KeepAlive => r#"{"type":"KeepAlive"}"#,
            Self::Finalize => r#"{"type":"Finalize"}"#,
            Self::CloseStream => r#"{"type":"CloseStream"}"#,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{DeepgramErrorMessage, ServerMessage};

    fn read(value: serde_json::Value) -> ServerMessage {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn reads_each_documented_message() {
        let ServerMessage::Results(results) = read(json!({
            "type": "Results", "channel_index": [0, 1], "is_final": true, "speech_final": true,
            "start": 0.0, "duration": 1.02, "from_finalize": false,
            "channel": {"alternatives": [{"transcript": "hello there", "confidence": 0.98,
                "words": [{"word": "hello", "start": 0.1, "end": 0.4, "confidence": 0.99, "punctuated_word": "Hello"}]}]},
            "metadata": {"request_id": "r1"}
        })) else {
            panic!("not a result")
        };
        assert!(results.is_final && results.speech_final);
        assert_eq!(results.channel.alternatives[0].transcript, "hello there");
        assert_eq!(results.channel.alternatives[0].words[0].punctuated_word.as_deref(), Some("Hello"));

        let ServerMessage::UtteranceEnd(end) =
            read(json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": 2.35}))
        else {
            panic!("not an utterance end")
        };
        assert_eq!(end.last_word_end, 2.35);
        assert!(matches!(
            read(json!({"type": "SpeechStarted", "channel": [0], "timestamp": 0.0})),
            ServerMessage::SpeechStarted(started) if started.timestamp == 0.0
        ));
        assert!(matches!(
            read(json!({"type": "Metadata", "request_id": "r1", "duration": 12.3, "channels": 1, "sha256": "…"})),
            ServerMessage::Metadata(metadata) if metadata.request_id == "r1" && metadata.duration == 12.3
        ));
        assert_eq!(read(json!({"type": "SomethingNew", "x": 1})), ServerMessage::Unknown);
    }

    #[test]
    fn an_interim_result_may_omit_speech_final() {
        let message = read(json!({"type": "Results", "is_final": false, "start": 1.0, "duration": 0.5,
                                  "channel": {"alternatives": [{"transcript": "hel"}]}}));
        assert!(matches!(message, ServerMessage::Results(results) if !results.speech_final));
    }

    #[test]
    fn written_messages_read_back_the_same() {
        let message = read(json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": 2.35}));
        assert_eq!(read(serde_json::to_value(&message).unwrap()), message);
    }

    #[test]
    fn an_error_message_gives_its_most_telling_text() {
        let error: DeepgramErrorMessage =
            serde_json::from_value(json!({"variant": "DATA-0000", "message": ""})).unwrap();
        assert_eq!(error.reason(), "DATA-0000");
        assert_eq!(DeepgramErrorMessage::default().reason(), "unspecified error");
    }
}
