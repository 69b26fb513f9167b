//! `ProviderError`: what went wrong talking to a provider, named and safe to show or log.

use std::fmt;

use crate::masking::mask;

/// The provider a client talks to; every error names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Twilio,
    ElevenLabs,
    Ultravox,
    Vapi,
    Deepgram,
    Anthropic,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Twilio => "Twilio",
            Self::ElevenLabs => "ElevenLabs",
            Self::Ultravox => "Ultravox",
            Self::Vapi => "Vapi",
            Self::Deepgram => "Deepgram",
            Self::Anthropic => "Anthropic",
        })
    }
}

/// A failed provider request. Messages name the provider and, for HTTP errors, the status and a
/// short excerpt of the response body; they never hold credentials, auth headers or URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("{provider} answered HTTP {status}: {excerpt}")]
    Status { provider: Provider, status: u16, excerpt: String },
    #[error("{provider} did not answer in time")]
    Timeout { provider: Provider },
    #[error("could not reach {provider}: {reason}")]
    Unreachable { provider: Provider, reason: String },
    #[error("{provider} sent a response Switchboard cannot read: {reason}")]
    Decode { provider: Provider, reason: String },
    #[error("{provider} did not start the call: {reason}")]
    CallNotStarted { provider: Provider, reason: String },
    #[error("invalid request for {provider}: {reason}")]
    InvalidRequest { provider: Provider, reason: String },
    #[error("could not set up the {provider} client: {reason}")]
    Setup { provider: Provider, reason: String },
    /// The provider reported an error on an open stream (an SSE `error` event, an error message
    /// or an error close frame on a WebSocket).
    #[error("{provider} reported an error mid-stream: {reason}")]
    StreamFailed { provider: Provider, reason: String },
    /// The stream ended before the provider said it was done: the socket dropped or the
    /// response body stopped short.
    #[error("{provider} closed the stream unexpectedly")]
    ClosedUnexpectedly { provider: Provider },
}

impl ProviderError {
    pub fn provider(&self) -> Provider {
        match self {
            Self::Status { provider, .. }
            | Self::Timeout { provider }
            | Self::Unreachable { provider, .. }
            | Self::Decode { provider, .. }
            | Self::CallNotStarted { provider, .. }
            | Self::InvalidRequest { provider, .. }
            | Self::Setup { provider, .. }
            | Self::StreamFailed { provider, .. }
            | Self::ClosedUnexpectedly { provider } => *provider,
        }
    }

    /// The HTTP status the provider answered with, when it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The longest response-body excerpt an error carries, in characters.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A one-line excerpt of a response body: whitespace collapsed, at most [`EXCERPT_CHARS`]
/// characters, and any of `redact` (the client's own credentials) masked in each form it may
/// be echoed in (see [`mask`]).
pub(crate) fn excerpt(body: &[u8], redact: &[&str]) -> String {
    let text = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
    let text = mask(&text, redact);
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(EXCERPT_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::{EXCERPT_CHARS, Provider, ProviderError, excerpt};

    #[test]
    fn excerpt_is_one_line_and_at_most_200_chars() {
        let body = format!("{{\"message\":\n  \"{}\"}}", "é".repeat(500));
        let short = excerpt(body.as_bytes(), &[]);
        assert_eq!(short.chars().count(), EXCERPT_CHARS);
        assert!(short.ends_with('…') && !short.contains('\n'));
        assert_eq!(excerpt(b"  short\n body ", &[]), "short body");
    }

    #[test]
    fn excerpt_masks_the_clients_credentials() {
        let short = excerpt(b"{\"detail\":\"invalid key sk_123 for account\"}", &["sk_123", ""]);
        assert_eq!(short, "{\"detail\":\"invalid key •••• for account\"}");
    }

    #[test]
    fn messages_name_provider_and_status() {
        let error = ProviderError::Status { provider: Provider::Twilio, status: 400, excerpt: "bad To".into() };
        assert_eq!(error.to_string(), "Twilio answered HTTP 400: bad To");
        assert_eq!(error.status(), Some(400));
        assert_eq!(ProviderError::Timeout { provider: Provider::Vapi }.to_string(), "Vapi did not answer in time");
    }
}
