//! ElevenLabs post-call webhooks: the transcription (same shape as a fetched conversation),
//! the audio notice, and call initiation failures.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::Conversation;
use crate::Provider;
use crate::payload::{PayloadError, parse_json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ElevenLabsWebhook {
    PostCallTranscription {
        event_timestamp: i64,
        data: Box<Conversation>,
    },
    /// The recording, base64 MP3 in `data.full_audio`.
    PostCallAudio {
        event_timestamp: i64,
        data: AudioNotice,
    },
    /// The call never started (busy, no answer, …); no transcription will follow.
    CallInitiationFailure {
        event_timestamp: i64,
        data: InitiationFailure,
    },
    /// A webhook type this version does not handle.
    #[serde(other)]
    Other,
}

impl ElevenLabsWebhook {
    /// Reads a webhook body (after its signature was verified).
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_json(Provider::ElevenLabs, "webhook", body)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioNotice {
    pub conversation_id: String,
    pub agent_id: Option<String>,
    /// The whole conversation's audio, base64 MP3.
    pub full_audio: Option<String>,
}

impl AudioNotice {
    /// The MP3 bytes, when the notice carries any.
    pub fn audio(&self) -> Result<Option<Vec<u8>>, PayloadError> {
        let Some(encoded) = self.full_audio.as_deref().filter(|encoded| !encoded.is_empty()) else {
            return Ok(None);
        };
        BASE64.decode(encoded).map(Some).map_err(|err| PayloadError {
            provider: Provider::ElevenLabs,
            what: "post_call_audio webhook",
            reason: format!("full_audio is not base64: {err}"),
        })
    }
}

/// Fields are not pinned to a primary source, so all are optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiationFailure {
    pub conversation_id: Option<String>,
    pub agent_id: Option<String>,
    /// e.g. `busy`, `no-answer`, `unknown`
    pub failure_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{AudioNotice, ElevenLabsWebhook};

    #[test]
    fn every_webhook_type() {
        let transcription = ElevenLabsWebhook::parse(
            br#"{"type":"post_call_transcription","event_timestamp":1739537297,
                 "data":{"conversation_id":"conv_1","agent_id":"a","status":"done","transcript":[]}}"#,
        )
        .unwrap();
        let ElevenLabsWebhook::PostCallTranscription { event_timestamp, data } = transcription else {
            panic!("{transcription:?}")
        };
        assert_eq!((event_timestamp, data.conversation_id.as_str()), (1_739_537_297, "conv_1"));

        let audio = ElevenLabsWebhook::parse(
            br#"{"type":"post_call_audio","event_timestamp":1,"data":{"conversation_id":"conv_1","agent_id":"a","full_audio":"SUQz"}}"#,
        )
        .unwrap();
        let ElevenLabsWebhook::PostCallAudio { data, .. } = audio else { panic!("{audio:?}") };
        assert_eq!(data.conversation_id, "conv_1");
        assert_eq!(data.audio().unwrap(), Some(b"ID3".to_vec()));
        let garbled = AudioNotice { full_audio: Some("not base64!".into()), ..data.clone() };
        assert!(garbled.audio().unwrap_err().to_string().contains("full_audio is not base64"));
        assert_eq!(AudioNotice { full_audio: None, ..data }.audio().unwrap(), None);

        let failure = ElevenLabsWebhook::parse(
            br#"{"type":"call_initiation_failure","event_timestamp":1,"data":{"conversation_id":"conv_2","failure_reason":"busy","metadata":{"type":"twilio"}}}"#,
        )
        .unwrap();
        assert!(matches!(failure, ElevenLabsWebhook::CallInitiationFailure { data, .. }
            if data.failure_reason.as_deref() == Some("busy")));

        let echoed = serde_json::to_vec(
            &ElevenLabsWebhook::parse(
                br#"{"type":"post_call_transcription","event_timestamp":5,
            "data":{"conversation_id":"c","status":"done"}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert!(matches!(
            ElevenLabsWebhook::parse(&echoed).unwrap(),
            ElevenLabsWebhook::PostCallTranscription { event_timestamp: 5, .. }
        ));

        let other = ElevenLabsWebhook::parse(br#"{"type":"voice_removed","event_timestamp":1,"data":{}}"#).unwrap();
        assert_eq!(other, ElevenLabsWebhook::Other);
    }

    #[test]
    fn a_body_that_is_not_a_webhook_names_elevenlabs() {
        let error = ElevenLabsWebhook::parse(b"{\"type\":\"post_call_transcription\"}").unwrap_err();
        assert!(error.to_string().starts_with("ElevenLabs webhook could not be read"), "{error}");
    }
}
