//! Where and as whom the console reaches each provider's API: the provider's own URL, or
//! `SWITCHBOARD_<PROVIDER>_BASE_URL` when set (tests and self-hosted proxies point the app at
//! loopback with it), signed in with the keys from the keychain or the environment.

use switchboard_providers::anthropic::AnthropicConfig;
use switchboard_providers::deepgram::DeepgramConfig;
use switchboard_providers::elevenlabs::ElevenLabsConfig;
use switchboard_providers::twilio::TwilioConfig;
use switchboard_providers::ultravox::UltravoxConfig;
use switchboard_providers::vapi::VapiConfig;
use switchboard_providers::{ConnectionTarget, Credentials, HttpSettings, Provider, ProviderError, Secret};

use crate::keychain::{KeyRole, KeychainError, key_id};

/// Reads a key by its id, as [`Keychain::get`](crate::keychain::Keychain::get) does (environment,
/// then keychain unless the run said `--no-keychain`).
pub type ReadKey<'a> = &'a dyn Fn(&str) -> Result<Option<Secret>, KeychainError>;

/// Where one provider's API is: its own URL, and the variable that overrides it.
struct ApiBase {
    provider: Provider,
    var: &'static str,
    default: &'static str,
}

/// Where each provider's API is.
const APIS: [ApiBase; 6] = [
    ApiBase { provider: Provider::Twilio, var: "SWITCHBOARD_TWILIO_BASE_URL", default: TwilioConfig::DEFAULT_BASE_URL },
    ApiBase {
        provider: Provider::ElevenLabs,
        var: "SWITCHBOARD_ELEVENLABS_BASE_URL",
        default: ElevenLabsConfig::DEFAULT_BASE_URL,
    },
    ApiBase {
        provider: Provider::Deepgram,
        var: "SWITCHBOARD_DEEPGRAM_BASE_URL",
        default: DeepgramConfig::DEFAULT_BASE_URL,
    },
    ApiBase {
        provider: Provider::Anthropic,
        var: "SWITCHBOARD_ANTHROPIC_BASE_URL",
        default: AnthropicConfig::DEFAULT_BASE_URL,
    },
    ApiBase {
        provider: Provider::Ultravox,
        var: "SWITCHBOARD_ULTRAVOX_BASE_URL",
        default: UltravoxConfig::DEFAULT_BASE_URL,
    },
    ApiBase { provider: Provider::Vapi, var: "SWITCHBOARD_VAPI_BASE_URL", default: VapiConfig::DEFAULT_BASE_URL },
];

/// Every provider whose API the console can reach, in the order Settings lists their keys.
pub fn providers() -> impl Iterator<Item = Provider> {
    APIS.iter().map(|api| api.provider)
}

fn api_base(provider: Provider) -> &'static ApiBase {
    APIS.iter().find(|api| api.provider == provider).expect("every provider has an API")
}

/// The environment variable that overrides `provider`'s base URL.
pub fn base_url_var(provider: Provider) -> &'static str {
    api_base(provider).var
}

/// `provider`'s base URL: `SWITCHBOARD_<PROVIDER>_BASE_URL` when set and not empty, else the
/// provider's own. The client checks it is an http(s) URL.
pub fn base_url(provider: Provider) -> String {
    chosen_base_url(provider, std::env::var(base_url_var(provider)).ok())
}

/// `provider`'s base URL given the override variable's value.
fn chosen_base_url(provider: Provider, set: Option<String>) -> String {
    let default = api_base(provider).default;
    set.map(|url| url.trim().to_owned()).filter(|url| !url.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// The provider named `name` ("Vapi", "vapi", "ElevenLabs", …), if Switchboard knows it.
pub fn by_name(name: &str) -> Option<Provider> {
    providers().find(|provider| provider.to_string().eq_ignore_ascii_case(name.trim()))
}

/// What Settings says when `provider`'s key is not set.
pub fn not_configured(provider: Provider) -> String {
    match provider {
        Provider::Twilio => "Twilio's account SID and auth token are not both set.".to_owned(),
        provider => format!("No {provider} API key is set."),
    }
}

/// `provider`'s credentials, each key read with `read`; `None` while any is unset. Reading the
/// keychain blocks: call it off the async workers.
pub fn credentials(read: ReadKey<'_>, provider: Provider) -> Result<Option<Credentials>, KeychainError> {
    let read_role = |role| key_id(provider, role).map_or(Ok(None), read);
    if provider == Provider::Twilio {
        let account_sid = read_role(KeyRole::AccountSid)?;
        let auth_token = read_role(KeyRole::AuthToken)?;
        return Ok(account_sid.zip(auth_token).map(|(account_sid, auth_token)| Credentials::Twilio {
            account_sid: account_sid.expose().trim().to_owned(),
            auth_token,
        }));
    }
    Ok(read_role(KeyRole::ApiKey)?.map(Credentials::ApiKey))
}

/// `provider`'s client for connection checks, at its base URL.
pub fn connection_target(provider: Provider, credentials: Credentials) -> Result<ConnectionTarget, ProviderError> {
    ConnectionTarget::new(provider, &base_url(provider), credentials, &HttpSettings::default())
}

/// A connection target for every provider whose keys are set (for `/health`), each key read
/// with `read`. A key that cannot be read or used is logged, never its value, and that provider
/// left out.
pub fn connection_targets(read: ReadKey<'_>) -> Vec<ConnectionTarget> {
    providers()
        .filter_map(|provider| {
            let credentials = credentials(read, provider)
                .inspect_err(|err| tracing::warn!(%provider, error = %err, "a provider key could not be read"))
                .ok()??;
            connection_target(provider, credentials)
                .inspect_err(|err| tracing::warn!(%provider, error = %err, "a provider client could not be set up"))
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use switchboard_providers::Provider;

    use super::{base_url_var, by_name, chosen_base_url, providers};

    #[test]
    fn base_urls_default_to_the_providers_and_follow_the_environment() {
        assert_eq!(chosen_base_url(Provider::Vapi, None), "https://api.vapi.ai");
        assert_eq!(chosen_base_url(Provider::Deepgram, Some(String::new())), "https://api.deepgram.com");
        let set = Some(" http://127.0.0.1:4010 ".to_owned());
        assert_eq!(chosen_base_url(Provider::Anthropic, set), "http://127.0.0.1:4010");
        assert_eq!(base_url_var(Provider::ElevenLabs), "SWITCHBOARD_ELEVENLABS_BASE_URL");
    }

    #[test]
    fn providers_are_found_by_name_in_any_case() {
        for provider in providers() {
            assert_eq!(by_name(&provider.to_string()), Some(provider));
            assert_eq!(by_name(&provider.to_string().to_lowercase()), Some(provider));
        }
        assert_eq!(by_name("Bland"), None);
    }
}
