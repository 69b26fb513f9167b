//! Shared HTTP plumbing of the provider clients: a rustls `reqwest` client with timeouts, and
//! retries with exponential backoff and jitter on 429 (honouring `Retry-After`), 5xx, timeouts
//! and connection failures. Other 4xx answers are never retried. Streamed answers and WebSocket
//! upgrades are retried the same way up to the answer's head, never after it.

mod retry;
mod retry_after;

use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use retry::{Failure, retrying};

use crate::{CHECK_TIMEOUT, ConnectionCheck};
use crate::{Provider, ProviderError, Secret};

/// Timeouts and retries shared by every client.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Limit for establishing the TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Limit for one whole attempt: connect, send, and read the full response. For a streamed
    /// answer (Anthropic) it bounds the wait for the answer to begin and each silence within it;
    /// for a WebSocket (Deepgram, ElevenLabs TTS), the handshake only.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// How often and how patiently a failed request is tried again.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    /// Delay before the first retry; it doubles each time, plus up to as much again of jitter.
    pub initial_delay: Duration,
    /// Cap on the computed delay (before jitter).
    pub max_delay: Duration,
    /// The longest `Retry-After` we wait for; a provider asking for more gets its 429 surfaced.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Whether a request may go out again after the provider might already have acted on it.
/// Requests that place a call (or create something else that costs or rings) are only resent
/// when the provider surely did not process them: a 429, or no connection at all. A 5xx or a
/// timeout on those is surfaced instead, since resending could ring the callee twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    Safe,
    OnlyIfUnprocessed,
}

/// A provider's HTTP client: one connection pool, the retry policy, and the credentials to mask
/// should a response body ever echo them.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    provider: Provider,
    retry: RetryPolicy,
    request_timeout: Duration,
    credentials: Vec<Secret>,
}

/// What a client is for, which decides what `request_timeout` bounds.
enum Purpose {
    /// Each whole attempt, body included.
    Requests,
    /// The wait for the answer to begin and each silence after it, never the whole stream.
    StreamedAnswers,
    /// The upgrade to a WebSocket (HTTP/1.1 only); the socket after it is not bounded.
    WebSockets,
}

impl HttpClient {
    /// A client whose `request_timeout` bounds each whole attempt, body included.
    pub(crate) fn new(
        provider: Provider,
        settings: &HttpSettings,
        credentials: Vec<Secret>,
    ) -> Result<Self, ProviderError> {
        Self::build(provider, settings, credentials, Purpose::Requests)
    }

    /// A client for streamed answers: `request_timeout` bounds the wait for the answer to begin
    /// and each silence after it, never the whole stream.
    pub(crate) fn streaming(
        provider: Provider,
        settings: &HttpSettings,
        credentials: Vec<Secret>,
    ) -> Result<Self, ProviderError> {
        Self::build(provider, settings, credentials, Purpose::StreamedAnswers)
    }

    /// A client for WebSocket upgrades: `request_timeout` bounds the handshake, not the socket.
    pub(crate) fn upgrading(
        provider: Provider,
        settings: &HttpSettings,
        credentials: Vec<Secret>,
    ) -> Result<Self, ProviderError> {
        Self::build(provider, settings, credentials, Purpose::WebSockets)
    }

    fn build(
        provider: Provider,
        settings: &HttpSettings,
        credentials: Vec<Secret>,
        purpose: Purpose,
    ) -> Result<Self, ProviderError> {
        install_crypto_provider();
        let builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            // A redirect could carry our key headers to another host; providers' APIs do not redirect.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT);
        let builder = match purpose {
            Purpose::Requests => builder.timeout(settings.request_timeout),
            Purpose::StreamedAnswers => builder.read_timeout(settings.request_timeout),
            Purpose::WebSockets => builder.timeout(settings.request_timeout).http1_only(),
        };
        let client = builder
            .build()
            .map_err(|error| ProviderError::Setup { provider, reason: error.without_url().to_string() })?;
        Ok(Self {
            client,
            provider,
            retry: settings.retry.clone(),
            request_timeout: settings.request_timeout,
            credentials,
        })
    }

    /// Sends the request (built anew for each attempt) and decodes a JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        resend: Resend,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<T, ProviderError> {
        let body = self.body(resend, request).await?;
        serde_json::from_slice(&body)
            .map_err(|error| ProviderError::Decode { provider: self.provider, reason: error.to_string() })
    }

    /// Sends the request (built anew for each attempt) and returns the successful answer's body.
    pub(crate) async fn body(
        &self,
        resend: Resend,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<bytes::Bytes, ProviderError> {
        self.retrying(resend, || async {
            let response = self.start(&request, StatusCode::is_success).await?;
            response.bytes().await.map_err(transport_failure)
        })
        .await
    }

    /// Sends the request (built anew for each attempt) and returns the successful answer as soon
    /// as its head arrives, for the caller to read as it streams. Only failures before that point
    /// are retried; nothing read from the body is ever sent again.
    pub(crate) async fn stream(
        &self,
        resend: Resend,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ProviderError> {
        self.retrying(resend, || self.start(&request, StatusCode::is_success)).await
    }

    /// Sends an upgrade request (built anew for each attempt) and returns the `101 Switching
    /// Protocols` answer, whose connection is then the caller's.
    pub(crate) async fn switch_protocols(
        &self,
        resend: Resend,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ProviderError> {
        self.retrying(resend, || self.start(&request, |status| *status == StatusCode::SWITCHING_PROTOCOLS)).await
    }

    /// Sends one request whose success is all that matters (a connection check): once, never
    /// retried (it reports what it sees now, and a refused key is not tried again), within the
    /// client's request timeout or [`CHECK_TIMEOUT`], whichever is shorter.
    pub(crate) async fn check(&self, request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder) -> ConnectionCheck {
        let limit = self.request_timeout.min(CHECK_TIMEOUT);
        let result = match tokio::time::timeout(limit, self.start(&request, StatusCode::is_success)).await {
            Ok(Ok(_answer)) => Ok(()),
            Ok(Err(failure)) => Err(failure.into_error(self.provider, &self.credentials)),
            Err(_elapsed) => Err(ProviderError::Timeout { provider: self.provider }),
        };
        ConnectionCheck::from_result(result)
    }

    async fn retrying<T, Attempt>(&self, resend: Resend, attempt: impl FnMut() -> Attempt) -> Result<T, ProviderError>
    where
        Attempt: Future<Output = Result<T, Failure>>,
    {
        retrying(self.provider, &self.retry, &self.credentials, resend, attempt).await
    }

    /// One attempt up to the answer's head; any answer but the `wanted` one is read whole.
    async fn start(
        &self,
        request: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        wanted: fn(&StatusCode) -> bool,
    ) -> Result<reqwest::Response, Failure> {
        let response = request(&self.client).send().await.map_err(transport_failure)?;
        let status = response.status();
        if wanted(&status) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_failure)?;
        Err(Failure::status(status, &headers, body))
    }
}

fn transport_failure(error: reqwest::Error) -> Failure {
    let error = error.without_url();
    let innermost = std::iter::successors(Some(&error as &dyn std::error::Error), |error| error.source());
    let reason = innermost.last().map(ToString::to_string).unwrap_or_default();
    Failure::Transport { connect: error.is_connect(), timeout: error.is_timeout(), reason }
}

/// rustls needs one process-wide crypto provider; whichever is installed first is fine.
fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

const USER_AGENT: &str = concat!("switchboard/", env!("CARGO_PKG_VERSION"));

/// A credential header value (`prefix` + secret), marked sensitive so it never prints.
pub(crate) fn secret_header(provider: Provider, prefix: &str, secret: &Secret) -> Result<HeaderValue, ProviderError> {
    let mut value = HeaderValue::from_str(&format!("{prefix}{}", secret.expose())).map_err(|_| {
        ProviderError::Setup { provider, reason: "the API key holds characters a header cannot".into() }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// A configured base URL without its trailing slash; it must be an http(s) URL.
pub(crate) fn base_url(provider: Provider, raw: &str) -> Result<String, ProviderError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let host = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['?', '#']) => Ok(trimmed.to_owned()),
        _ => {
            Err(ProviderError::Setup { provider, reason: format!("the base URL must be an http(s) URL, not {raw:?}") })
        }
    }
}

/// An id that goes into a URL path: letters, digits, `-` and `_` only, so nothing can escape
/// its path segment.
pub(crate) fn path_id<'a>(provider: Provider, what: &str, id: &'a str) -> Result<&'a str, ProviderError> {
    if !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_') {
        Ok(id)
    } else {
        Err(ProviderError::InvalidRequest { provider, reason: format!("{what} {id:?} is not a valid id") })
    }
}

#[cfg(test)]
mod tests {
    use super::{base_url, path_id, secret_header};
    use crate::{Provider, Secret};

    #[test]
    fn base_urls_lose_their_trailing_slash_and_must_be_http() {
        assert_eq!(base_url(Provider::Vapi, "https://api.vapi.ai/").unwrap(), "https://api.vapi.ai");
        assert_eq!(base_url(Provider::Vapi, "http://127.0.0.1:4000").unwrap(), "http://127.0.0.1:4000");
        assert!(base_url(Provider::Vapi, "ftp://x").is_err());
        assert!(base_url(Provider::Vapi, "https://").is_err());
        assert!(base_url(Provider::Vapi, "https://x/?key=1").is_err());
    }

    #[test]
    fn secret_headers_never_print() {
        let value = secret_header(Provider::Vapi, "Bearer ", &Secret::new("vk_1")).unwrap();
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("vk_1"));
        assert!(secret_header(Provider::Vapi, "", &Secret::new("bad\nkey")).is_err());
    }

    #[test]
    fn path_ids_cannot_leave_their_segment() {
        assert_eq!(path_id(Provider::Twilio, "call SID", "CA123_x-y").unwrap(), "CA123_x-y");
        for bad in ["", "../Calls", "CA1?x=1", "CA1/Streams", "CA 1"] {
            assert!(path_id(Provider::Twilio, "call SID", bad).is_err(), "{bad}");
        }
    }
}
