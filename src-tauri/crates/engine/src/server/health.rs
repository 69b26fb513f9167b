//! `GET /health`: the listener's status, its inbox backlog, and per provider whether webhooks
//! are verified and whether the provider's API answers (checked concurrently, through the
//! listener's [`ProviderProbe`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use serde::Serialize;
use switchboard_providers::{ConnectionCheck, Provider};

use super::ListenerState;
use super::routes::provider_id;
use crate::BoxFuture;
use crate::dispatcher::blocking;

/// Whether a provider's API can be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Reachability {
    /// The provider's key is not set.
    NotConfigured,
    Reachable,
    /// The provider answered 401 or 403 to the key.
    KeyRefused {
        reason: String,
    },
    Unreachable {
        reason: String,
    },
}

impl From<ConnectionCheck> for Reachability {
    fn from(check: ConnectionCheck) -> Self {
        match check {
            ConnectionCheck::Connected => Self::Reachable,
            ConnectionCheck::KeyRefused(error) => Self::KeyRefused { reason: error.to_string() },
            ConnectionCheck::Unreachable(error) => Self::Unreachable { reason: error.to_string() },
        }
    }
}

/// Checks the providers' APIs for `/health` (the console's is a
/// [`ConnectionProbe`](super::ConnectionProbe) over the providers whose keys are set).
pub trait ProviderProbe: Send + Sync {
    fn reachability(&self, provider: Provider) -> BoxFuture<'_, Reachability>;
}

/// Every provider `/health` reports on: those sending webhooks, then the realtime pipeline's.
const PROVIDERS: [Provider; 6] = [
    Provider::Twilio,
    Provider::ElevenLabs,
    Provider::Ultravox,
    Provider::Vapi,
    Provider::Deepgram,
    Provider::Anthropic,
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    status: &'static str,
    uptime_secs: u64,
    public_base_url: String,
    inbox: InboxHealth,
    providers: Vec<ProviderHealth>,
}

#[derive(Serialize)]
struct InboxHealth {
    total: u32,
    pending: u32,
    failed: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderHealth {
    provider: &'static str,
    /// `verified` when a secret is configured, else `not-configured` (its routes answer 503);
    /// `none` for a provider that sends no webhooks.
    webhooks: &'static str,
    reachability: Reachability,
}

pub(super) async fn health(State(state): State<Arc<ListenerState>>) -> Response {
    let store = Arc::clone(&state.store);
    let counts = match blocking(move || store.inbox_counts()).await {
        Ok(counts) => counts,
        Err(error) => {
            tracing::error!(%error, "health: the inbox cannot be read");
            return (StatusCode::SERVICE_UNAVAILABLE, "the inbox cannot be read").into_response();
        }
    };
    // The set in force now: a key saved since the last request is probed afresh.
    let current = state.providers.current();
    let reachability = join_all(PROVIDERS.map(|provider| current.probe.reachability(provider))).await;
    let providers = PROVIDERS
        .into_iter()
        .zip(reachability)
        .map(|(provider, reachability)| {
            let keys = &current.webhook_keys;
            let verified = match provider {
                Provider::Twilio => Some(keys.twilio.is_some()),
                Provider::ElevenLabs => Some(keys.elevenlabs.is_some()),
                Provider::Ultravox => Some(keys.ultravox.is_some()),
                Provider::Vapi => Some(keys.vapi.is_some()),
                // The realtime pipeline's providers send no webhooks.
                Provider::Deepgram | Provider::Anthropic => None,
            };
            let webhooks = match verified {
                Some(true) => "verified",
                Some(false) => "not-configured",
                None => "none",
            };
            ProviderHealth { provider: provider_id(provider), webhooks, reachability }
        })
        .collect();
    Json(Health {
        status: "listening",
        uptime_secs: state.started.elapsed().as_secs(),
        public_base_url: current.public_base_url.clone(),
        inbox: InboxHealth { total: counts.total, pending: counts.pending, failed: counts.failed },
        providers,
    })
    .into_response()
}
