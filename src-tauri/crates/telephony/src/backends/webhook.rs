//! A provider's webhook as the listener takes it, told by the provider's own module: where it is
//! posted, how its signature is checked, its idempotency key, and what it means for a call
//! ([`CallChange`]). The listener routes, verifies, stores and processes every webhook alike
//! through these facts; the keys they are checked with are [`WebhookKeys`].

use std::fmt::Debug;

use axum::http::HeaderMap;
use serde::Serialize;
use switchboard_core::CallState;
use switchboard_providers::signature::{
    ElevenLabsWebhookKey, SignatureError, TwilioWebhookKey, UltravoxWebhookKey, VapiWebhookKey,
};
use switchboard_providers::{PayloadError, Provider, Secret};

use super::report::FinishedCall;
use super::twilio::TwilioNotice;
use crate::ProviderSet;
use crate::listener::WebhookSecrets;
use switchboard_engine::BoxFuture;

/// One webhook a provider posts to the listener, to be stored in the inbox and processed.
pub struct Webhook {
    /// The name kept in the inbox's `route` column.
    pub(crate) name: &'static str,
    /// Where the provider posts it.
    pub(crate) path: &'static str,
    pub(crate) provider: Provider,
    /// What to paste it as in the provider's dashboard.
    pub(crate) label: &'static str,
    /// Checks the request's signature with the provider's key; `None` when no key is set.
    pub(crate) verify: fn(&WebhookKeys, &SignedRequest<'_>) -> Option<Result<(), SignatureError>>,
    /// The provider's own idempotency key for the body (`None`: the listener hashes it).
    pub(crate) event_key: fn(&[u8]) -> Option<String>,
    /// What the body means for a call; `Ok(None)` when it reports no state change.
    pub(crate) call_change: fn(&[u8]) -> Result<Option<CallChange>, PayloadError>,
}

/// A request as received, for its signature to be checked.
pub(crate) struct SignedRequest<'a> {
    /// The public URL the provider requested (the listener's public base, then the path and
    /// query as received).
    pub(crate) url: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl SignedRequest<'_> {
    /// The header `name` as text, when it is there and is.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Every header that is text, as (name, value).
    pub(crate) fn text_headers(&self) -> Vec<(&str, &str)> {
        self.headers.iter().filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))).collect()
    }
}

/// A finished call's report a webhook carried, read with the clients in force when it is
/// applied (a recording is fetched with them).
pub(crate) trait CarriedReport: Debug + Send + Sync {
    /// The report as a finished call; `record` is the provider's JSON as received.
    fn finished(&self, clients: &ProviderSet, record: String) -> BoxFuture<'_, FinishedCall>;
}

/// A state a provider reported for one of its calls.
#[derive(Debug)]
pub(crate) struct CallChange {
    /// The ids the provider may know the call by, most specific first.
    pub(crate) provider_ids: Vec<String>,
    pub(crate) state: CallState,
    pub(crate) reason: Option<String>,
    /// The finished call's report, when the webhook carries one (it says more than the state).
    pub(crate) report: Option<Box<dyn CarriedReport>>,
    /// Something for the Twilio dialer to act on instead of a state to apply.
    pub(crate) notice: Option<TwilioNotice>,
}

impl CallChange {
    pub(crate) fn new(provider_ids: Vec<String>, state: CallState, reason: Option<String>) -> Self {
        Self { provider_ids, state, reason, report: None, notice: None }
    }
}

/// A unit enum's wire name (`in-progress`, `machine_end_beep`, `call.ended`).
pub(crate) fn wire(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The keys webhooks are verified with, one per provider that sends them; a provider without
/// one has its routes answer 503 (they never accept unsigned requests).
pub(crate) struct WebhookKeys {
    pub(crate) twilio: Option<TwilioWebhookKey>,
    pub(crate) elevenlabs: Option<ElevenLabsWebhookKey>,
    pub(crate) ultravox: Option<UltravoxWebhookKey>,
    pub(crate) vapi: Option<VapiWebhookKey>,
}

impl WebhookKeys {
    /// The keys of the secrets that are set and not empty: Twilio's auth token (with its shared
    /// key, if one is set) and each hosted provider's webhook secret.
    pub(crate) fn new(secrets: WebhookSecrets) -> Self {
        let configured = |secret: Option<Secret>| secret.filter(|secret| !secret.is_empty());
        let twilio_shared_key = secrets.twilio_shared_key;
        Self {
            twilio: configured(secrets.twilio_auth_token)
                .map(|token| TwilioWebhookKey::new(token).with_shared_key(twilio_shared_key)),
            elevenlabs: configured(secrets.elevenlabs).map(ElevenLabsWebhookKey::new),
            ultravox: configured(secrets.ultravox).map(UltravoxWebhookKey::new),
            vapi: configured(secrets.vapi).map(VapiWebhookKey::new),
        }
    }

    /// Whether `provider`'s webhooks are verified (its key is set); `None` for a provider that
    /// sends none.
    pub(crate) fn verifies(&self, provider: Provider) -> Option<bool> {
        match provider {
            Provider::Twilio => Some(self.twilio.is_some()),
            Provider::ElevenLabs => Some(self.elevenlabs.is_some()),
            Provider::Ultravox => Some(self.ultravox.is_some()),
            Provider::Vapi => Some(self.vapi.is_some()),
            // The realtime pipeline's providers send no webhooks.
            Provider::Deepgram | Provider::Anthropic => None,
        }
    }

    /// The key our Ultravox agents' tool requests carry, when an Ultravox webhook secret is set.
    pub(crate) fn ultravox_tool_key(&self) -> Option<Secret> {
        self.ultravox.as_ref().map(UltravoxWebhookKey::tool_key)
    }
}
