//! `GET /health`: the listener's status, its inbox backlog, and per provider whether webhooks
//! are verified and whether the provider's API answers.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_providers::Provider;

use super::ListenerState;
use super::routes::{PROVIDERS, provider_id};
use crate::BoxFuture;
use crate::dispatcher::blocking;

/// Whether a provider's API can be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Reachability {
    /// No client for the provider is configured.
    NotConfigured,
    Reachable,
    Unreachable {
        reason: String,
    },
}

/// Checks the providers' APIs for `/health`. The backends will probe with their clients; until
/// then [`NoProviderClients`] reports each as not configured.
pub trait ProviderProbe: Send + Sync {
    fn reachability(&self, provider: Provider) -> BoxFuture<'_, Reachability>;
}

/// No provider clients yet: every provider is "not configured".
pub struct NoProviderClients;

impl ProviderProbe for NoProviderClients {
    fn reachability(&self, _provider: Provider) -> BoxFuture<'_, Reachability> {
        Box::pin(async { Reachability::NotConfigured })
    }
}

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
    /// `verified` when a secret is configured, else `not-configured` (its routes answer 503).
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
    let mut providers = Vec::with_capacity(PROVIDERS.len());
    for provider in PROVIDERS {
        let keys = &state.keys;
        let verified = match provider {
            Provider::Twilio => keys.twilio.is_some(),
            Provider::ElevenLabs => keys.elevenlabs.is_some(),
            Provider::Ultravox => keys.ultravox.is_some(),
            Provider::Vapi => keys.vapi.is_some(),
            // The realtime pipeline's providers send no webhooks.
            Provider::Deepgram | Provider::Anthropic => false,
        };
        providers.push(ProviderHealth {
            provider: provider_id(provider),
            webhooks: if verified { "verified" } else { "not-configured" },
            reachability: state.probe.reachability(provider).await,
        });
    }
    Json(Health {
        status: "listening",
        uptime_secs: state.started.elapsed().as_secs(),
        public_base_url: state.settings.public_base_url.clone(),
        inbox: InboxHealth { total: counts.total, pending: counts.pending, failed: counts.failed },
        providers,
    })
    .into_response()
}
