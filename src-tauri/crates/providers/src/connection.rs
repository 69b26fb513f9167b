//! `ConnectionCheck`: what one cheap authenticated request to a provider's API found — the key
//! works, the provider refused it, or the API could not be used (no answer, a timeout, an error) —
//! and `ConnectionTarget`, any provider's client set up to run that check.

use std::time::Duration;

use crate::anthropic::{AnthropicClient, AnthropicConfig};
use crate::deepgram::{DeepgramClient, DeepgramConfig};
use crate::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use crate::twilio::{TwilioClient, TwilioConfig};
use crate::ultravox::{UltravoxClient, UltravoxConfig};
use crate::vapi::{VapiClient, VapiConfig};
use crate::{HttpSettings, Provider, ProviderError, Secret};

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

/// What a provider's API is signed in with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An API key (ElevenLabs, Deepgram, Anthropic, Ultravox, Vapi).
    ApiKey(Secret),
    /// Twilio's account SID and auth token.
    Twilio { account_sid: String, auth_token: Secret },
}

/// One provider's client, ready to check its connection.
#[derive(Debug, Clone)]
pub struct ConnectionTarget {
    client: Client,
}

#[derive(Debug, Clone)]
enum Client {
    Twilio(TwilioClient),
    ElevenLabs(ElevenLabsClient),
    Deepgram(DeepgramClient),
    Anthropic(AnthropicClient),
    Ultravox(UltravoxClient),
    Vapi(VapiClient),
}

impl ConnectionTarget {
    /// `provider`'s client at `base_url`. Twilio takes [`Credentials::Twilio`], the others an API
    /// key; the wrong kind, a bad base URL or an unusable key is a [`ProviderError::Setup`].
    pub fn new(
        provider: Provider,
        base_url: &str,
        credentials: Credentials,
        settings: &HttpSettings,
    ) -> Result<Self, ProviderError> {
        let base_url = base_url.to_owned();
        let client = match (provider, credentials) {
            (Provider::Twilio, Credentials::Twilio { account_sid, auth_token }) => {
                let config = TwilioConfig { base_url, account_sid, auth_token, api_key_sid: None };
                Client::Twilio(TwilioClient::new(config, settings)?)
            }
            (Provider::ElevenLabs, Credentials::ApiKey(api_key)) => {
                Client::ElevenLabs(ElevenLabsClient::new(ElevenLabsConfig { base_url, api_key }, settings)?)
            }
            (Provider::Deepgram, Credentials::ApiKey(api_key)) => {
                Client::Deepgram(DeepgramClient::new(DeepgramConfig { base_url, api_key }, settings)?)
            }
            (Provider::Anthropic, Credentials::ApiKey(api_key)) => {
                Client::Anthropic(AnthropicClient::new(AnthropicConfig { base_url, api_key }, settings)?)
            }
            (Provider::Ultravox, Credentials::ApiKey(api_key)) => {
                Client::Ultravox(UltravoxClient::new(UltravoxConfig { base_url, api_key }, settings)?)
            }
            (Provider::Vapi, Credentials::ApiKey(api_key)) => {
                Client::Vapi(VapiClient::new(VapiConfig { base_url, api_key }, settings)?)
            }
            (provider, _) => {
                let wanted = if provider == Provider::Twilio { "an account SID and auth token" } else { "an API key" };
                return Err(ProviderError::Setup { provider, reason: format!("{provider} signs in with {wanted}") });
            }
        };
        Ok(Self { client })
    }

    pub fn provider(&self) -> Provider {
        match self.client {
            Client::Twilio(_) => Provider::Twilio,
            Client::ElevenLabs(_) => Provider::ElevenLabs,
            Client::Deepgram(_) => Provider::Deepgram,
            Client::Anthropic(_) => Provider::Anthropic,
            Client::Ultravox(_) => Provider::Ultravox,
            Client::Vapi(_) => Provider::Vapi,
        }
    }

    /// The provider's own `check_connection`.
    pub async fn check(&self) -> ConnectionCheck {
        match &self.client {
            Client::Twilio(client) => client.check_connection().await,
            Client::ElevenLabs(client) => client.check_connection().await,
            Client::Deepgram(client) => client.check_connection().await,
            Client::Anthropic(client) => client.check_connection().await,
            Client::Ultravox(client) => client.check_connection().await,
            Client::Vapi(client) => client.check_connection().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ConnectionCheck, ConnectionTarget, Credentials};
    use crate::{HttpSettings, Provider, ProviderError, Secret};

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

    #[test]
    fn a_target_needs_the_credentials_its_provider_signs_in_with() {
        let settings = HttpSettings::default();
        let key = Credentials::ApiKey(Secret::new("k"));
        let twilio = Credentials::Twilio { account_sid: "AC1".into(), auth_token: Secret::new("t") };
        let target = ConnectionTarget::new(Provider::Vapi, "https://api.vapi.ai", key.clone(), &settings).unwrap();
        assert_eq!(target.provider(), Provider::Vapi);
        let target = ConnectionTarget::new(Provider::Twilio, "https://api.twilio.com", twilio.clone(), &settings);
        assert_eq!(target.unwrap().provider(), Provider::Twilio);
        let error = ConnectionTarget::new(Provider::Twilio, "https://api.twilio.com", key, &settings).unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not set up the Twilio client: Twilio signs in with an account SID and auth token"
        );
        let error = ConnectionTarget::new(Provider::Deepgram, "https://x", twilio, &settings).unwrap_err();
        assert!(error.to_string().ends_with("Deepgram signs in with an API key"), "{error}");
    }
}
