//! What the app reaches providers with, built from the dispatcher's keys and settings: each
//! provider's client, the Twilio calling number, the listener's public URL, the webhook secrets
//! (as verification keys) and `/health`'s probe. One [`ProviderSet`] is current at a time;
//! saving a key or a setting builds a new one and swaps it in whole ([`ProviderClients::replace`]).
//! The backends and the listener read the current set when they start a piece of work (placing
//! a call, a reconciler pass, a webhook, a `/health` request), so what starts after a swap uses
//! the new clients, and what is under way (a placed call's session, its Twilio account) keeps
//! the set it started with.

use std::sync::{Arc, PoisonError, RwLock};

use switchboard_providers::anthropic::AnthropicClient;
use switchboard_providers::elevenlabs::ElevenLabsClient;
use switchboard_providers::twilio::TwilioClient;
use switchboard_providers::ultravox::UltravoxClient;
use switchboard_providers::vapi::VapiClient;

use crate::backends::webhook::WebhookKeys;
use crate::listener::{ConnectionProbe, ProviderProbe, WebhookSecrets};
use switchboard_voice::PipelineClients;

/// The clients and settings of one moment; a provider whose keys are not set has `None`.
#[derive(Clone)]
pub struct ProviderSet {
    /// Twilio's REST client (account SID and auth token): places, steers and fetches calls.
    pub twilio: Option<TwilioClient>,
    /// The number Twilio calls are placed from, E.164.
    pub from_number: Option<String>,
    /// The URL providers reach the listener at, without a trailing slash.
    pub public_base_url: String,
    pub elevenlabs: Option<ElevenLabsClient>,
    pub vapi: Option<VapiClient>,
    pub ultravox: Option<UltravoxClient>,
    /// The model of speech-gather calls (and, with the pipeline's other clients, of the pipeline).
    pub anthropic: Option<AnthropicClient>,
    /// The realtime pipeline's clients, when all three keys are set.
    pub pipeline: Option<PipelineClients>,
    /// `/health`'s view of the providers' APIs; a new set starts with nothing cached.
    pub probe: Arc<dyn ProviderProbe>,
    /// The keys webhooks are verified with.
    pub(crate) webhook_keys: Arc<WebhookKeys>,
}

impl ProviderSet {
    /// A set with no provider configured, reached at `public_base_url`, verifying webhooks with
    /// `secrets`; the clients are filled in by the caller.
    pub fn new(public_base_url: &str, secrets: WebhookSecrets) -> Self {
        Self {
            twilio: None,
            from_number: None,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            elevenlabs: None,
            vapi: None,
            ultravox: None,
            anthropic: None,
            pipeline: None,
            probe: Arc::new(ConnectionProbe::new([])),
            webhook_keys: Arc::new(WebhookKeys::new(secrets)),
        }
    }

    /// The listener's public URL for `path`.
    pub fn public_url(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }
}

/// The current [`ProviderSet`], shared by the backends and the listener; cloning shares it.
#[derive(Clone)]
pub struct ProviderClients(Arc<RwLock<Arc<ProviderSet>>>);

impl ProviderClients {
    pub fn new(set: ProviderSet) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(set))))
    }

    /// The set in force now; it stays whole for as long as it is held, whatever is swapped in.
    pub fn current(&self) -> Arc<ProviderSet> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `set` in force: what starts from now on uses it.
    pub fn replace(&self, set: ProviderSet) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(set);
    }

    /// A holder of the default set (nothing configured) changed by `change`: the fixed set of a
    /// backend built with its clients for good.
    pub fn holding(change: impl FnOnce(&mut ProviderSet)) -> Self {
        let clients = Self::default();
        clients.update(change);
        clients
    }

    /// Puts in force the current set changed by `change`.
    pub fn update(&self, change: impl FnOnce(&mut ProviderSet)) {
        let mut current = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let mut set = ProviderSet::clone(&current);
        change(&mut set);
        *current = Arc::new(set);
    }
}

impl Default for ProviderClients {
    /// No provider configured, the listener reached locally on no known port.
    fn default() -> Self {
        Self::new(ProviderSet::new("", WebhookSecrets::default()))
    }
}
