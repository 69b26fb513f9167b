//! `ConnectionTarget`: any provider's client set up to run its connection check.

use crate::anthropic::{AnthropicClient, AnthropicConfig};
use crate::deepgram::{DeepgramClient, DeepgramConfig};
use crate::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use crate::twilio::{TwilioClient, TwilioConfig};
use crate::ultravox::{UltravoxClient, UltravoxConfig};
use crate::vapi::{VapiClient, VapiConfig};
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret};

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
    use super::{ConnectionTarget, Credentials};
    use crate::{HttpSettings, Provider, Secret};

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
