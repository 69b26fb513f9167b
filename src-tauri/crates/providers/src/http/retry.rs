//! Retrying one request-shaped attempt (an HTTP request, a WebSocket handshake) with exponential
//! backoff and jitter, honouring `Retry-After`, and naming the last failure as a `ProviderError`.

use std::future::Future;
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::{Resend, RetryPolicy, retry_after};
use crate::error::excerpt;
use crate::{Provider, ProviderError, Secret};

/// Why one attempt failed.
#[derive(Debug)]
pub(super) enum Failure {
    Status { status: StatusCode, retry_after: Option<Duration>, body: bytes::Bytes },
    Transport { connect: bool, timeout: bool, reason: String },
}

impl Failure {
    /// An error answer; its `Retry-After` header, if any, is read now.
    pub(super) fn status(status: StatusCode, headers: &HeaderMap, body: bytes::Bytes) -> Self {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry_after::parse(value, SystemTime::now()));
        Self::Status { status, retry_after, body }
    }

    fn retryable(&self, resend: Resend) -> bool {
        match self {
            Self::Status { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS || (status.is_server_error() && resend == Resend::Safe)
            }
            Self::Transport { connect, .. } => *connect || resend == Resend::Safe,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::Transport { .. } => None,
        }
    }

    /// The error to surface; response bodies are excerpted with `credentials` masked.
    pub(super) fn into_error(self, provider: Provider, credentials: &[Secret]) -> ProviderError {
        match self {
            Self::Status { status, body, .. } => {
                let credentials: Vec<&str> = credentials.iter().map(Secret::expose).collect();
                ProviderError::Status { provider, status: status.as_u16(), excerpt: excerpt(&body, &credentials) }
            }
            Self::Transport { timeout: true, .. } => ProviderError::Timeout { provider },
            Self::Transport { reason, .. } => ProviderError::Unreachable { provider, reason },
        }
    }
}

/// Runs `attempt` until it succeeds, fails in a way `resend` does not allow to retry, or the
/// policy's attempts run out.
pub(super) async fn retrying<T, Attempt>(
    provider: Provider,
    policy: &RetryPolicy,
    credentials: &[Secret],
    resend: Resend,
    attempt: impl FnMut() -> Attempt,
) -> Result<T, ProviderError>
where
    Attempt: Future<Output = Result<T, Failure>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.initial_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_jitter();
    attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|failure| failure.retryable(resend))
        .adjust(|failure, delay| match (delay, failure.retry_after()) {
            (Some(_), Some(wait)) if wait > policy.max_retry_after => None,
            (Some(_), Some(wait)) => Some(wait),
            (delay, None) => delay,
            (None, Some(_)) => None,
        })
        .notify(|failure, delay| {
            let what = match failure {
                Failure::Status { status, .. } => format!("HTTP {}", status.as_u16()),
                Failure::Transport { reason, .. } => reason.clone(),
            };
            tracing::warn!(provider = %provider, failure = %what, delay_ms = delay.as_millis(), "retrying");
        })
        .await
        .map_err(|failure| failure.into_error(provider, credentials))
}
