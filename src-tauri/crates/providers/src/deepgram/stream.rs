//! An open live transcription: the sender (audio frames, keep-alives, finalize, close) and the
//! receiver (typed transcript events), to be driven from separate tasks.

use bytes::Bytes;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::PROVIDER;
use super::messages::{Control, Results, ServerMessage};
use crate::ProviderError;
use crate::websocket::{Incoming, SocketReader, SocketWriter};

/// A live transcription socket; [`DeepgramStream::split`] it to send audio from one task while
/// another reads the transcripts. Dropping both halves drops the connection.
#[derive(Debug)]
pub struct DeepgramStream {
    sender: DeepgramSender,
    receiver: DeepgramReceiver,
}

impl DeepgramStream {
    pub(super) fn new(writer: SocketWriter, reader: SocketReader) -> Self {
        Self { sender: DeepgramSender { socket: writer }, receiver: DeepgramReceiver { socket: reader } }
    }

    pub fn split(self) -> (DeepgramSender, DeepgramReceiver) {
        (self.sender, self.receiver)
    }
}

/// Sends audio and control messages. Each call writes and flushes one frame.
#[derive(Debug)]
pub struct DeepgramSender {
    socket: SocketWriter,
}

impl DeepgramSender {
    /// One frame of raw μ-law 8 kHz audio (a Twilio media payload, base64-decoded), sent as a
    /// binary frame.
    pub async fn send_audio(&mut self, mulaw: &[u8]) -> Result<(), ProviderError> {
        self.socket.send(Message::Binary(Bytes::copy_from_slice(mulaw))).await
    }

    /// `{"type":"KeepAlive"}`: send every 3–5 s while no audio flows; Deepgram closes the socket
    /// after 10 s with neither.
    pub async fn keep_alive(&mut self) -> Result<(), ProviderError> {
        self.control(Control::KeepAlive).await
    }

    /// `{"type":"Finalize"}`: transcribe what was sent so far now, as final results.
    pub async fn finalize(&mut self) -> Result<(), ProviderError> {
        self.control(Control::Finalize).await
    }

    /// `{"type":"CloseStream"}`: no more audio. Deepgram sends the last results and its
    /// metadata, then closes; the receiver ends with [`ListenEvent::Closed`].
    pub async fn finish(mut self) -> Result<(), ProviderError> {
        self.control(Control::CloseStream).await
    }

    async fn control(&mut self, control: Control) -> Result<(), ProviderError> {
        self.socket.send(Message::Text(Utf8Bytes::from_static(control.json()))).await
    }
}

/// What Deepgram heard, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenEvent {
    /// The first alternative of a result (its text may be empty: silence). `is_final: false` is
    /// an interim guess; `speech_final: true` marks an endpoint, the end of the caller's turn.
    Transcript { text: String, is_final: bool, speech_final: bool, start: f64, duration: f64 },
    /// No word for the configured gap; the turn's fallback end when no `speech_final` came.
    UtteranceEnd { last_word_end: f64 },
    /// Voice activity began at `timestamp` seconds: the cue for barge-in.
    SpeechStarted { timestamp: f64 },
    /// Sent before Deepgram closes: its request id and the seconds of audio it processed.
    Metadata { request_id: String, duration: f64 },
    /// Deepgram closed the socket normally; every later call answers `Closed` again.
    Closed,
}

impl From<Results> for ListenEvent {
    fn from(results: Results) -> Self {
        let text = results.channel.alternatives.into_iter().next().map(|best| best.transcript).unwrap_or_default();
        Self::Transcript {
            text,
            is_final: results.is_final,
            speech_final: results.speech_final,
            start: results.start,
            duration: results.duration,
        }
    }
}

/// Reads Deepgram's messages as [`ListenEvent`]s.
#[derive(Debug)]
pub struct DeepgramReceiver {
    socket: SocketReader,
}

impl DeepgramReceiver {
    /// The next event. An error close frame or error message is [`ProviderError::StreamFailed`],
    /// a socket that drops without a close is [`ProviderError::ClosedUnexpectedly`], an
    /// unreadable message is [`ProviderError::Decode`]; after any of them, or after
    /// [`ListenEvent::Closed`], every call answers the same.
    pub async fn recv(&mut self) -> Result<ListenEvent, ProviderError> {
        loop {
            let text = match self.socket.next_text().await? {
                Incoming::Text(text) => text,
                Incoming::Closed => return Ok(ListenEvent::Closed),
            };
            let message = serde_json::from_str(&text).map_err(|error| {
                self.socket.fail(ProviderError::Decode { provider: PROVIDER, reason: error.to_string() })
            })?;
            return Ok(match message {
                ServerMessage::Results(results) => results.into(),
                ServerMessage::UtteranceEnd(end) => ListenEvent::UtteranceEnd { last_word_end: end.last_word_end },
                ServerMessage::SpeechStarted(started) => ListenEvent::SpeechStarted { timestamp: started.timestamp },
                ServerMessage::Metadata(metadata) => {
                    ListenEvent::Metadata { request_id: metadata.request_id, duration: metadata.duration }
                }
                ServerMessage::Error(error) => {
                    let reason = error.reason().to_owned();
                    return Err(self.socket.fail(ProviderError::StreamFailed { provider: PROVIDER, reason }));
                }
                ServerMessage::Unknown => continue,
            });
        }
    }
}
