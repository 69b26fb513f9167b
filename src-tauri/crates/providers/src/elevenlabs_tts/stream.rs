//! An open text-to-speech stream: the sender (text chunks, flush, keep-alive, end) and the
//! receiver (decoded μ-law audio as it is synthesised), to be driven from separate tasks.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio_tungstenite::tungstenite::Message;

use super::messages::{Alignment, AudioMessage, GenerationConfig, InitialMessage, TextMessage};
use super::{PROVIDER, TtsOptions};
use crate::ProviderError;
use crate::websocket::{Incoming, SocketReader, SocketWriter};

/// A text-to-speech socket, its opening message sent; [`TtsStream::split`] it to send text from
/// one task while another plays the audio. Dropping both halves drops the connection, which is
/// how a barge-in abandons the rest of an answer.
#[derive(Debug)]
pub struct TtsStream {
    sender: TtsSender,
    receiver: TtsReceiver,
}

impl TtsStream {
    pub(super) async fn open(
        writer: SocketWriter,
        reader: SocketReader,
        options: &TtsOptions,
    ) -> Result<Self, ProviderError> {
        let mut sender = TtsSender { socket: writer };
        let initial = InitialMessage {
            text: " ".into(),
            voice_settings: options.voice_settings.clone(),
            generation_config: Some(GenerationConfig { chunk_length_schedule: options.chunk_length_schedule.clone() }),
        };
        sender.send_json(&initial).await?;
        Ok(Self { sender, receiver: TtsReceiver { socket: reader, final_pending: false } })
    }

    pub fn split(self) -> (TtsSender, TtsReceiver) {
        (self.sender, self.receiver)
    }
}

/// Sends text. Each call writes and flushes one message.
#[derive(Debug)]
pub struct TtsSender {
    socket: SocketWriter,
}

impl TtsSender {
    /// Text to speak, e.g. one sentence of the answer. A space is added when the text does not
    /// end with whitespace (ElevenLabs holds a last word back until one comes); empty text is
    /// not sent, since `""` would end the stream.
    pub async fn send_text(&mut self, text: &str) -> Result<(), ProviderError> {
        if text.is_empty() {
            return Ok(());
        }
        let text = if text.ends_with(char::is_whitespace) { text.to_owned() } else { format!("{text} ") };
        self.send_json(&TextMessage { text, flush: false }).await
    }

    /// `{"text":" ","flush":true}`: speak everything sent so far now, without waiting for the
    /// chunk schedule's length (the end of a short answer, or of each sentence for latency).
    pub async fn flush(&mut self) -> Result<(), ProviderError> {
        self.send_json(&TextMessage { text: " ".into(), flush: true }).await
    }

    /// `{"text":" "}`: keeps the socket open through a pause longer than ElevenLabs' inactivity
    /// timeout (20 s by default).
    pub async fn keep_alive(&mut self) -> Result<(), ProviderError> {
        self.send_json(&TextMessage { text: " ".into(), flush: false }).await
    }

    /// `{"text":""}`: no more text. ElevenLabs speaks what is left, sends `isFinal` and closes;
    /// the receiver ends with [`TtsEvent::Final`] then [`TtsEvent::Closed`].
    pub async fn finish(mut self) -> Result<(), ProviderError> {
        self.send_json(&TextMessage { text: String::new(), flush: false }).await
    }

    async fn send_json(&mut self, message: &impl serde::Serialize) -> Result<(), ProviderError> {
        let json = serde_json::to_string(message)
            .map_err(|error| ProviderError::InvalidRequest { provider: PROVIDER, reason: error.to_string() })?;
        self.socket.send(Message::text(json)).await
    }
}

/// What ElevenLabs sends back, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum TtsEvent {
    /// Raw μ-law 8 kHz audio, no header: a Twilio media payload once base64-encoded. The
    /// alignment (normalized when ElevenLabs sends both) says which characters it speaks when.
    Audio { mulaw: Vec<u8>, alignment: Option<Alignment> },
    /// `isFinal`: all text has been spoken.
    Final,
    /// ElevenLabs closed the socket normally; every later call answers `Closed` again.
    Closed,
}

/// Reads ElevenLabs' messages as [`TtsEvent`]s.
#[derive(Debug)]
pub struct TtsReceiver {
    socket: SocketReader,
    /// The last audio message also said `isFinal`.
    final_pending: bool,
}

impl TtsReceiver {
    /// The next event. An error message or error close frame is
    /// [`ProviderError::StreamFailed`], a socket that drops without a close is
    /// [`ProviderError::ClosedUnexpectedly`], an unreadable message or audio is
    /// [`ProviderError::Decode`]; after any of them every call answers the same.
    pub async fn recv(&mut self) -> Result<TtsEvent, ProviderError> {
        if std::mem::take(&mut self.final_pending) {
            return Ok(TtsEvent::Final);
        }
        loop {
            let text = match self.socket.next_text().await? {
                Incoming::Text(text) => text,
                Incoming::Closed => return Ok(TtsEvent::Closed),
            };
            let message: AudioMessage = serde_json::from_str(&text).map_err(|error| self.decode_error(error))?;
            if let Some(error) = message.error {
                let reason = match message.message {
                    Some(detail) if !detail.is_empty() => format!("{error}: {detail}"),
                    _ => error,
                };
                return Err(self.socket.fail(ProviderError::StreamFailed { provider: PROVIDER, reason }));
            }
            let is_final = message.is_final == Some(true);
            match message.audio.filter(|audio| !audio.is_empty()) {
                Some(audio) => {
                    let mulaw = BASE64.decode(audio).map_err(|error| self.decode_error(error))?;
                    self.final_pending = is_final;
                    let alignment = message.normalized_alignment.or(message.alignment);
                    return Ok(TtsEvent::Audio { mulaw, alignment });
                }
                None if is_final => return Ok(TtsEvent::Final),
                None => {}
            }
        }
    }

    fn decode_error(&mut self, error: impl std::fmt::Display) -> ProviderError {
        self.socket.fail(ProviderError::Decode { provider: PROVIDER, reason: error.to_string() })
    }
}
