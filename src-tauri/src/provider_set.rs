//! The console's [`ProviderSet`], built from the keys in the keychain (or the environment) and
//! the settings in the store (the Twilio calling number, the listener's public URL): at start-up,
//! and again each time one of them is saved, so the next call, webhook and `/health` request use
//! what was saved. A key that cannot be read or used is logged (never its value) and leaves its
//! provider unconfigured.

use std::collections::HashMap;
use std::sync::Arc;

use switchboard_engine::settings::twilio_from_number;
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::deepgram::{DeepgramClient, DeepgramConfig};
use switchboard_providers::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use switchboard_providers::elevenlabs_tts::ElevenLabsTtsClient;
use switchboard_providers::twilio::{TwilioClient, TwilioConfig};
use switchboard_providers::ultravox::{UltravoxClient, UltravoxConfig};
use switchboard_providers::vapi::{VapiClient, VapiConfig};
use switchboard_providers::{HttpSettings, Provider, ProviderError, Secret};
use switchboard_store::Store;
use switchboard_telephony::ProviderSet;
use switchboard_telephony::listener::{ConnectionProbe, WebhookSecrets};
use switchboard_voice::PipelineClients;

use crate::keychain::{KEYS, KeyRole, Keychain, KeychainError, TWILIO_SHARED_KEY, key_id, webhook_key_id};
use crate::listener_address;
use crate::provider_api;

/// A set built, with what Settings shows about it.
pub struct Built {
    pub set: ProviderSet,
    /// Where the public URL came from: "command line", "settings", "ngrok" or "local".
    pub public_url_source: &'static str,
    /// Providers whose webhooks can be verified (their secret is set).
    pub verified: Vec<String>,
}

/// Builds the set from `keychain` and `store`, the listener being on `port` and reached at
/// `chosen_public_url` when given (else see [`listener_address::public_url`]).
pub async fn build(keychain: &Arc<Keychain>, store: &Arc<Store>, port: u16, chosen_public_url: Option<&str>) -> Built {
    let (public_url, public_url_source) = listener_address::public_url(store, port, chosen_public_url).await;
    let (keychain, settings) = (Arc::clone(keychain), Arc::clone(store));
    let read = tokio::task::spawn_blocking(move || {
        let keys = read_keys(&keychain);
        let from_number = twilio_from_number(&settings)
            .inspect_err(|err| tracing::warn!(error = %err, "the Twilio calling number could not be read"))
            .ok()
            .flatten();
        (keys, from_number)
    });
    let (keys, from_number) = read.await.unwrap_or_default();
    let key = |id: &str| keys.get(id).cloned();
    let webhook_secret = |provider| webhook_key_id(provider).and_then(key);
    let secrets = WebhookSecrets {
        twilio_auth_token: webhook_secret(Provider::Twilio),
        twilio_shared_key: key(TWILIO_SHARED_KEY),
        elevenlabs: webhook_secret(Provider::ElevenLabs),
        ultravox: webhook_secret(Provider::Ultravox),
        vapi: webhook_secret(Provider::Vapi),
    };
    let verified = [Provider::Twilio, Provider::ElevenLabs, Provider::Ultravox, Provider::Vapi]
        .into_iter()
        .filter(|provider| webhook_secret(*provider).is_some())
        .map(|provider| provider.to_string())
        .collect();

    let http = HttpSettings::default();
    let mut set = ProviderSet::new(&public_url, secrets);
    set.from_number = from_number;
    set.twilio = client(&keys, ["twilio_account_sid", "twilio_auth_token"], "Twilio", |[account_sid, auth_token]| {
        let base_url = provider_api::base_url(Provider::Twilio);
        let account_sid = account_sid.expose().trim().to_owned();
        TwilioClient::new(TwilioConfig { base_url, account_sid, auth_token, api_key_sid: None }, &http)
    });
    set.elevenlabs = api_client(&keys, Provider::ElevenLabs, "ElevenLabs Agents", |base_url, api_key| {
        ElevenLabsClient::new(ElevenLabsConfig { base_url, api_key }, &http)
    });
    set.vapi = api_client(&keys, Provider::Vapi, "Vapi", |base_url, api_key| {
        VapiClient::new(VapiConfig { base_url, api_key }, &http)
    });
    set.ultravox = api_client(&keys, Provider::Ultravox, "Ultravox", |base_url, api_key| {
        UltravoxClient::new(UltravoxConfig { base_url, api_key }, &http)
    });
    set.anthropic = api_client(&keys, Provider::Anthropic, "Anthropic (pipeline, gather)", |base_url, api_key| {
        AnthropicClient::new(AnthropicConfig { base_url, api_key }, &http)
    });
    let deepgram = api_client(&keys, Provider::Deepgram, "Deepgram (pipeline)", |base_url, api_key| {
        DeepgramClient::new(DeepgramConfig { base_url, api_key }, &http)
    });
    let tts = api_client(&keys, Provider::ElevenLabs, "ElevenLabs TTS (pipeline)", |base_url, api_key| {
        ElevenLabsTtsClient::new(ElevenLabsConfig { base_url, api_key }, &http)
    });
    set.pipeline = match (deepgram, set.anthropic.clone(), tts) {
        (Some(deepgram), Some(anthropic), Some(tts)) => Some(PipelineClients { deepgram, anthropic, tts }),
        _ => None,
    };
    set.probe = Arc::new(ConnectionProbe::new(provider_api::connection_targets(&|id| Ok::<_, KeychainError>(key(id)))));
    Built { set, public_url_source, verified }
}

/// Every key that is set, read once (the keychain's D-Bus round trips block: call it off the
/// async workers). A key that cannot be read is left out; the first such failure is logged
/// (a keychain that is not there fails for every key), the others counted.
fn read_keys(keychain: &Keychain) -> HashMap<&'static str, Secret> {
    let mut unreadable = Vec::new();
    let keys = KEYS
        .iter()
        .filter_map(|spec| match keychain.get(spec.id) {
            Ok(value) => value.map(|value| (spec.id, value)),
            Err(err) => {
                if unreadable.is_empty() {
                    tracing::warn!(error = %err, key = spec.id, "a key could not be read; what needs it is off");
                }
                unreadable.push(spec.id);
                None
            }
        })
        .collect();
    if unreadable.len() > 1 {
        tracing::warn!(keys = ?unreadable, "these keys could not be read either; set them in the environment");
    }
    keys
}

/// `provider`'s client, built with `build` from its base URL and API key when the key is set
/// (see [`client`]).
fn api_client<Client>(
    keys: &HashMap<&'static str, Secret>,
    provider: Provider,
    backend: &'static str,
    build: impl FnOnce(String, Secret) -> Result<Client, ProviderError>,
) -> Option<Client> {
    let id = key_id(provider, KeyRole::ApiKey)?;
    client(keys, [id], backend, |[api_key]| build(provider_api::base_url(provider), api_key))
}

/// A provider's client, built with `build` from its keys, when every one of `ids` is set; a
/// client that cannot be set up is logged (never a key's value) and left out.
fn client<Client, const N: usize>(
    keys: &HashMap<&'static str, Secret>,
    ids: [&'static str; N],
    backend: &'static str,
    build: impl FnOnce([Secret; N]) -> Result<Client, ProviderError>,
) -> Option<Client> {
    let secrets: Vec<Secret> = ids.iter().map(|id| keys.get(id).cloned()).collect::<Option<_>>()?;
    match build(secrets.try_into().ok()?) {
        Ok(client) => Some(client),
        Err(err) => {
            tracing::warn!(error = %err, backend, "the client could not be set up; that backend is off");
            None
        }
    }
}
