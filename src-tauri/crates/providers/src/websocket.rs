//! WebSocket plumbing of the streaming clients (Deepgram STT, ElevenLabs TTS): the handshake with
//! an auth header, retried like an HTTP request (429, 5xx, timeouts, refused connections), and the
//! two halves of an open socket, which turn frames and closes into text messages and
//! `ProviderError`s naming the provider.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::header::{HeaderName, HeaderValue, USER_AGENT};
use rustls_platform_verifier::ConfigVerifierExt as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::error::excerpt;
use crate::http::{self, Failure, Resend, base_url, install_crypto_provider, retrying};
use crate::{HttpSettings, Provider, ProviderError, RetryPolicy, Secret};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a provider's WebSockets: TLS set up once, the retry policy, and the credentials to mask.
#[derive(Debug, Clone)]
pub(crate) struct WebSocketClient {
    provider: Provider,
    tls: Arc<rustls::ClientConfig>,
    handshake_timeout: Duration,
    retry: RetryPolicy,
    credentials: Vec<Secret>,
}

impl WebSocketClient {
    pub(crate) fn new(
        provider: Provider,
        settings: &HttpSettings,
        credentials: Vec<Secret>,
    ) -> Result<Self, ProviderError> {
        install_crypto_provider();
        let tls = rustls::ClientConfig::with_platform_verifier()
            .map_err(|error| ProviderError::Setup { provider, reason: error.to_string() })?;
        Ok(Self {
            provider,
            tls: Arc::new(tls),
            handshake_timeout: settings.request_timeout,
            retry: settings.retry.clone(),
            credentials,
        })
    }

    /// Connects to `url` (ws:// or wss://) sending `auth` on the upgrade request. Each attempt
    /// (TCP, TLS and the upgrade) is bounded by the settings' `request_timeout`.
    pub(crate) async fn connect(
        &self,
        url: &str,
        auth: (HeaderName, &HeaderValue),
    ) -> Result<(SocketWriter, SocketReader), ProviderError> {
        let uri: Uri = url.parse().map_err(|_| ProviderError::InvalidRequest {
            provider: self.provider,
            reason: "the stream URL is not valid".into(),
        })?;
        let attempt = || self.attempt(&uri, &auth);
        let socket = retrying(self.provider, &self.retry, &self.credentials, Resend::Safe, attempt).await?;
        let (sink, stream) = socket.split();
        let provider = self.provider;
        let reader = SocketReader { stream, provider, credentials: self.credentials.clone(), end: None };
        Ok((SocketWriter { sink, provider }, reader))
    }

    async fn attempt(&self, uri: &Uri, (name, value): &(HeaderName, &HeaderValue)) -> Result<Socket, Failure> {
        let mut request = uri.into_client_request().map_err(handshake_failure)?;
        request.headers_mut().insert(name.clone(), (*value).clone());
        request.headers_mut().insert(USER_AGENT, HeaderValue::from_static(http::USER_AGENT));
        let tls = Connector::Rustls(Arc::clone(&self.tls));
        let connecting = tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(tls));
        match tokio::time::timeout(self.handshake_timeout, connecting).await {
            Ok(Ok((socket, _response))) => Ok(socket),
            Ok(Err(error)) => Err(handshake_failure(error)),
            Err(_elapsed) => Err(Failure::Transport { connect: false, timeout: true, reason: "timed out".into() }),
        }
    }
}

fn handshake_failure(error: tungstenite::Error) -> Failure {
    match error {
        tungstenite::Error::Http(response) => {
            let (head, body) = (*response).into_parts();
            Failure::status(head.status, &head.headers, body.map(bytes::Bytes::from).unwrap_or_default())
        }
        tungstenite::Error::Io(error) => {
            Failure::Transport { connect: true, timeout: false, reason: error.to_string() }
        }
        tungstenite::Error::Tls(error) => {
            Failure::Transport { connect: true, timeout: false, reason: error.to_string() }
        }
        other => Failure::Transport { connect: false, timeout: false, reason: other.to_string() },
    }
}

/// The WebSocket form of a configured http(s) base URL: `https://` becomes `wss://`, `http://`
/// (loopback fakes) becomes `ws://`.
pub(crate) fn websocket_base(provider: Provider, raw: &str) -> Result<String, ProviderError> {
    let base = base_url(provider, raw)?;
    Ok(match base.strip_prefix("https://") {
        Some(host) => format!("wss://{host}"),
        None => format!("ws://{}", base.trim_start_matches("http://")),
    })
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

    /// Ends the stream with `error` (a provider's error message, an unreadable message).
    pub(crate) fn fail(&mut self, error: ProviderError) -> ProviderError {
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

#[cfg(test)]
mod tests {
    use super::websocket_base;
    use crate::Provider;

    #[test]
    fn http_bases_become_websocket_bases() {
        assert_eq!(websocket_base(Provider::Deepgram, "https://api.deepgram.com/").unwrap(), "wss://api.deepgram.com");
        assert_eq!(websocket_base(Provider::Deepgram, "http://127.0.0.1:9000").unwrap(), "ws://127.0.0.1:9000");
        assert!(websocket_base(Provider::Deepgram, "wss://api.deepgram.com").is_err());
    }
}
