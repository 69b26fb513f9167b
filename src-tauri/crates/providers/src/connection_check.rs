//! `ConnectionCheck`: what one cheap authenticated request to a provider's API found — the key
//! works, the provider refused it, or the API could not be used (no answer, a timeout, an error).

use std::time::Duration;

use crate::ProviderError;

/// The longest a connection check waits, whatever the client's own request timeout.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The outcome of a client's `check_connection`: one request, never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionCheck {
    /// The provider answered the authenticated request successfully.
    Connected,
    /// The provider answered 401 or 403: the key is wrong, revoked, or lacks the permission
    /// Switchboard needs. The error carries the provider's own words (an excerpt).
    KeyRefused(ProviderError),
    /// No usable answer: the provider could not be reached, did not answer in time, or answered
    /// with another error status (its excerpt in the error).
    Unreachable(ProviderError),
}

impl ConnectionCheck {
    /// The check's outcome from the request's result.
    pub(crate) fn from_result(result: Result<(), ProviderError>) -> Self {
        match result {
            Ok(()) => Self::Connected,
            Err(error) if matches!(error.status(), Some(401 | 403)) => Self::KeyRefused(error),
            Err(error) => Self::Unreachable(error),
        }
    }

    /// The provider's error, unless the check succeeded.
    pub fn error(&self) -> Option<&ProviderError> {
        match self {
            Self::Connected => None,
            Self::KeyRefused(error) | Self::Unreachable(error) => Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectionCheck;
    use crate::{Provider, ProviderError};

    fn status(status: u16) -> ProviderError {
        ProviderError::Status { provider: Provider::Vapi, status, excerpt: "no".into() }
    }

    #[test]
    fn only_401_and_403_are_refusals() {
        assert_eq!(ConnectionCheck::from_result(Ok(())), ConnectionCheck::Connected);
        assert_eq!(ConnectionCheck::from_result(Err(status(401))), ConnectionCheck::KeyRefused(status(401)));
        assert_eq!(ConnectionCheck::from_result(Err(status(403))), ConnectionCheck::KeyRefused(status(403)));
        for other in [400, 404, 429, 500, 503] {
            assert_eq!(ConnectionCheck::from_result(Err(status(other))), ConnectionCheck::Unreachable(status(other)));
        }
        let timeout = ProviderError::Timeout { provider: Provider::Vapi };
        assert_eq!(ConnectionCheck::from_result(Err(timeout.clone())), ConnectionCheck::Unreachable(timeout.clone()));
        assert_eq!(ConnectionCheck::Unreachable(timeout.clone()).error(), Some(&timeout));
        assert_eq!(ConnectionCheck::Connected.error(), None);
    }
}
