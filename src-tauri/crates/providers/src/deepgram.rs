//! Deepgram live speech-to-text: one WebSocket per call leg, μ-law 8 kHz audio in as binary
//! frames, typed transcript events out (interim and final results, end of speech, utterance end);
//! and a connection check over REST.

mod messages;
mod options;
mod stream;

pub use messages::{
    Alternative, DeepgramErrorMessage, Metadata, Results, ResultsChannel, ServerMessage, SpeechStarted, UtteranceEnd,
    Word,
};
pub use options::ListenOptions;
pub use stream::{DeepgramReceiver, DeepgramSender, DeepgramStream, ListenEvent};

use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::http::{HttpClient, base_url, secret_header};
use crate::websocket::WebSocketClient;
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret};

const PROVIDER: Provider = Provider::Deepgram;

#[derive(Debug, Clone)]
pub struct DeepgramConfig {
    /// `https://api.deepgram.com` ([`DeepgramConfig::DEFAULT_BASE_URL`]) or a loopback fake; the
    /// socket is its `wss://` form (the upgrade is an HTTPS request).
    pub base_url: String,
    pub api_key: Secret,
}

impl DeepgramConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.deepgram.com";
}

#[derive(Debug, Clone)]
pub struct DeepgramClient {
    socket: WebSocketClient,
    /// Plain requests (the connection check).
    http: HttpClient,
    base: String,
    authorization: HeaderValue,
}

impl DeepgramClient {
    pub fn new(config: DeepgramConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url(PROVIDER, &config.base_url)?,
            authorization: secret_header(PROVIDER, "Token ", &config.api_key)?,
            socket: WebSocketClient::new(PROVIDER, settings, vec![config.api_key.clone()])?,
            http: HttpClient::new(PROVIDER, settings, vec![config.api_key])?,
        })
    }

    /// Lists the key's projects (`GET /v1/projects`): the key works.
    pub async fn check_connection(&self) -> ConnectionCheck {
        let url = format!("{}/v1/projects", self.base);
        self.http.check(|client| client.get(&url).header(AUTHORIZATION, &self.authorization)).await
    }

    /// Opens a live transcription (`/v1/listen`). The handshake is retried on 429, 5xx,
    /// timeouts and refused connections; a 401 is surfaced at once.
    pub async fn listen(&self, options: &ListenOptions) -> Result<DeepgramStream, ProviderError> {
        let url = format!("{}/v1/listen?{}", self.base, options.query());
        let (writer, reader) = self.socket.connect(&url, (AUTHORIZATION, &self.authorization)).await?;
        Ok(DeepgramStream::new(writer, reader))
    }
}
