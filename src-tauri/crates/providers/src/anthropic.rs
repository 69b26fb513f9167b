//! Anthropic Messages API, streamed: the agent's next turn as it is generated, for the realtime
//! pipeline to speak sentence by sentence and to act on tool calls (`end_call`,
//! `transfer_call`, `record_field`); and a connection check.

mod events;
mod request;
mod sse;
mod stream;

pub use events::{
    ApiError, BlockDelta, DeltaUsage, MessageDelta, MessageStart, ServerEvent, StartedBlock, StopReason, Usage,
};
pub use request::{ContentBlock, Message, MessageRequest, Role, Tool};
pub use stream::{MessageStream, StreamEvent};

use reqwest::header::{ACCEPT, HeaderValue};

use crate::http::{HttpClient, Resend, base_url, secret_header};
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret};
use request::Streamed;

const PROVIDER: Provider = Provider::Anthropic;

#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    /// `https://api.anthropic.com` ([`AnthropicConfig::DEFAULT_BASE_URL`]) or a loopback fake.
    pub base_url: String,
    pub api_key: Secret,
}

impl AnthropicConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
    /// The `anthropic-version` header sent with every request.
    pub const API_VERSION: &str = "2023-06-01";
}

#[derive(Debug, Clone)]
pub struct AnthropicClient {
    http: HttpClient,
    base: String,
    api_key: HeaderValue,
}

impl AnthropicClient {
    /// The settings' `request_timeout` bounds the wait for the answer to begin and each silence
    /// within it (Anthropic pings while it thinks), never the whole answer.
    pub fn new(config: AnthropicConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url(PROVIDER, &config.base_url)?,
            api_key: secret_header(PROVIDER, "", &config.api_key)?,
            http: HttpClient::streaming(PROVIDER, settings, vec![config.api_key])?,
        })
    }

    /// Lists at most one model (`GET /v1/models?limit=1`): the key works, and generates nothing.
    pub async fn check_connection(&self) -> ConnectionCheck {
        let url = format!("{}/v1/models?limit=1", self.base);
        self.http
            .check(|client| {
                client
                    .get(&url)
                    .header("x-api-key", &self.api_key)
                    .header("anthropic-version", AnthropicConfig::API_VERSION)
                    .header(ACCEPT, "application/json")
            })
            .await
    }

    /// Starts streaming the assistant's next message (`POST /v1/messages`, `stream: true`). A
    /// 429, 5xx, timeout or refused connection before the answer begins is retried with backoff;
    /// once events flow nothing is resent, and failures come out of [`MessageStream::next`].
    pub async fn stream_message(&self, request: &MessageRequest) -> Result<MessageStream, ProviderError> {
        let url = format!("{}/v1/messages", self.base);
        let body = Streamed { request, stream: true };
        let response = self
            .http
            .stream(Resend::Safe, |client| {
                client
                    .post(&url)
                    .header("x-api-key", &self.api_key)
                    .header("anthropic-version", AnthropicConfig::API_VERSION)
                    .header(ACCEPT, "text/event-stream")
                    .json(&body)
            })
            .await?;
        Ok(MessageStream::new(response))
    }
}
