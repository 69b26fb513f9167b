//! WebSocket plumbing of the streaming clients (Deepgram STT, ElevenLabs TTS). The upgrade is an
//! ordinary request on the provider's HTTP client: the same TLS, the same retries (429, 5xx,
//! timeouts, refused connections; never a 401), and no WebSocket library ever sees, or logs,
//! the key header. The two halves of the open socket turn frames and closes into text messages
//! and `ProviderError`s naming the provider.

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::Version;
use reqwest::header::{
    CONNECTION, HeaderName, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

use crate::error::excerpt;
use crate::http::{HttpClient, Resend};
use crate::masking::mask;
use crate::{HttpSettings, Provider, ProviderError, Secret};

type Socket = WebSocketStream<reqwest::Upgraded>;

/// Opens a provider's WebSockets.
#[derive(Debug, Clone)]
pub(crate) struct WebSocketClient {
    http: HttpClient,
    provider: Provider,
    credentials: Vec<Secret>,
}

impl WebSocketClient {
    /// The settings' `request_timeout` bounds each handshake attempt, not the socket after it.
    pub(crate) fn new(
        provider: Provider,
        settings: &HttpSettings,
        credentials: Vec<Secret>,
    ) -> Result<Self, ProviderError> {
        Ok(Self { http: HttpClient::upgrading(provider, settings, credentials.clone())?, provider, credentials })
    }

    /// Connects to `url` (the http(s) form of the socket's address) sending `auth` on the
    /// upgrade request.
    pub(crate) async fn connect(
        &self,
        url: &str,
        (auth_name, auth_value): (HeaderName, &HeaderValue),
    ) -> Result<(SocketWriter, SocketReader), ProviderError> {
        let key = generate_key();
        let response = self
            .http
            .switch_protocols(Resend::Safe, |client| {
                client
                    .get(url)
                    .version(Version::HTTP_11)
                    .header(CONNECTION, "Upgrade")
                    .header(UPGRADE, "websocket")
                    .header(SEC_WEBSOCKET_VERSION, "13")
                    .header(SEC_WEBSOCKET_KEY, &key)
                    .header(auth_name.clone(), auth_value)
            })
            .await?;
        let accept = response.headers().get(SEC_WEBSOCKET_ACCEPT).and_then(|value| value.to_str().ok());
        if accept != Some(derive_accept_key(key.as_bytes()).as_str()) {
            let reason = "the WebSocket upgrade answer has no valid Sec-WebSocket-Accept".into();
            return Err(ProviderError::Decode { provider: self.provider, reason });
        }
        let upgraded = response.upgrade().await.map_err(|error| ProviderError::Unreachable {
            provider: self.provider,
            reason: error.without_url().to_string(),
        })?;
        let socket = WebSocketStream::from_raw_socket(upgraded, Role::Client, Some(socket_config())).await;
        let (sink, stream) = socket.split();
        let provider = self.provider;
        let reader = SocketReader { stream, provider, credentials: self.credentials.clone(), end: None };
        Ok((SocketWriter { sink, provider }, reader))
    }
}

/// Messages on these sockets are small (an audio frame, a transcript, a chunk of speech), and
/// tungstenite zero-fills its whole read buffer (128 KiB by default) before every read: a small
/// buffer keeps that from costing more than the messages themselves.
const READ_BUFFER_BYTES: usize = 8 * 1024;

fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES)
}

/// The sending half of an open socket.
#[derive(Debug)]
pub(crate) struct SocketWriter {
    sink: SplitSink<Socket, Message>,
    provider: Provider,
}

impl SocketWriter {
    /// Sends one message and flushes it: the realtime pipeline wants every frame out at once.
    pub(crate) async fn send(&mut self, message: Message) -> Result<(), ProviderError> {
        self.sink.send(message).await.map_err(|error| {
            tracing::debug!(provider = %self.provider, %error, "stream send failed");
            ProviderError::ClosedUnexpectedly { provider: self.provider }
        })
    }
}

/// What the receiving half read next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Incoming {
    Text(Utf8Bytes),
    /// The provider closed the socket normally.
    Closed,
}

/// The receiving half of an open socket. Once it has ended (a close or an error), it keeps
/// answering the same way.
#[derive(Debug)]
pub(crate) struct SocketReader {
    stream: SplitStream<Socket>,
    provider: Provider,
    credentials: Vec<Secret>,
    end: Option<Result<Incoming, ProviderError>>,
}

impl SocketReader {
    /// The next text message; binary frames, pings and pongs are passed over (pongs are
    /// answered by tungstenite).
    pub(crate) async fn next_text(&mut self) -> Result<Incoming, ProviderError> {
        if let Some(end) = &self.end {
            return end.clone();
        }
        let end = loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => return Ok(Incoming::Text(text)),
                Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(frame))) => break self.closed(frame),
                Some(Err(error)) => break Err(self.read_error(error)),
                None => break Err(ProviderError::ClosedUnexpectedly { provider: self.provider }),
            }
        };
        self.end = Some(end.clone());
        end
    }

    /// Ends the stream with `error` (a provider's error message, an unreadable message); the
    /// credentials are masked in a provider's own words.
    pub(crate) fn fail(&mut self, error: ProviderError) -> ProviderError {
        let error = match error {
            ProviderError::StreamFailed { provider, reason } => {
                let credentials: Vec<&str> = self.credentials.iter().map(Secret::expose).collect();
                ProviderError::StreamFailed { provider, reason: mask(&reason, &credentials) }
            }
            other => other,
        };
        self.end = Some(Err(error.clone()));
        error
    }

    fn closed(&self, frame: Option<CloseFrame>) -> Result<Incoming, ProviderError> {
        match frame {
            None => Ok(Incoming::Closed),
            Some(frame) if frame.code == CloseCode::Normal => Ok(Incoming::Closed),
            Some(frame) => {
                let credentials: Vec<&str> = self.credentials.iter().map(Secret::expose).collect();
                let reason = excerpt(frame.reason.as_bytes(), &credentials);
                let code = u16::from(frame.code);
                let reason = if reason.is_empty() {
                    format!("close code {code}")
                } else {
                    format!("close code {code}: {reason}")
                };
                Err(ProviderError::StreamFailed { provider: self.provider, reason })
            }
        }
    }

    fn read_error(&self, error: tungstenite::Error) -> ProviderError {
        use tungstenite::error::ProtocolError;
        match error {
            tungstenite::Error::ConnectionClosed
            | tungstenite::Error::AlreadyClosed
            | tungstenite::Error::Io(_)
            | tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                ProviderError::ClosedUnexpectedly { provider: self.provider }
            }
            other => ProviderError::Decode { provider: self.provider, reason: other.to_string() },
        }
    }
}
