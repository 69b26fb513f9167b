//! `GET /health`: the listener's status, its inbox backlog, and per provider whether webhooks
//! are verified and whether the provider's API answers (checked concurrently, through the
//! listener's [`ProviderProbe`]). Only a direct caller on this machine gets the details; a
//! request through the tunnel learns only that the listener is up (see [`is_direct_local`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::future::join_all;
use serde::Serialize;
use switchboard_providers::{ConnectionCheck, Provider};

use super::ListenerState;
use super::routes::{HEALTH_PATH, provider_id};
use switchboard_engine::BoxFuture;
use switchboard_engine::blocking;

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

/// What a request through the tunnel is told.
#[derive(Serialize)]
struct Up {
    status: &'static str,
}

/// Headers a tunnel or proxy adds to what it forwards (ngrok sets the `X-Forwarded-*` ones;
/// others use `Forwarded`, `X-Real-IP` or, Cloudflare's, `CF-Connecting-IP`).
const FORWARDING_HEADERS: [&str; 6] =
    ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "cf-connecting-ip"];

/// Whether the request came straight from this machine: a loopback peer and no forwarding
/// header. The listener binds loopback only, so everything from outside arrives through the
/// tunnel's local agent, whose peer is loopback too; the forwarding headers it adds tell it
/// apart. A request without a known peer counts as forwarded.
fn is_direct_local(peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    peer.is_some_and(|peer| peer.ip().is_loopback())
        && !FORWARDING_HEADERS.iter().any(|name| headers.contains_key(*name))
}

/// The health route.
pub(super) fn routes() -> Router<Arc<ListenerState>> {
    Router::new().route(HEALTH_PATH, get(health))
}

async fn health(State(state): State<Arc<ListenerState>>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| *peer);
    if !is_direct_local(peer, request.headers()) {
        return Json(Up { status: "listening" }).into_response();
    }
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
            let webhooks = match current.webhook_keys.verifies(provider) {
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

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{FORWARDING_HEADERS, is_direct_local};

    #[test]
    fn only_a_loopback_peer_with_no_forwarding_header_is_direct() {
        let loopback = Some("127.0.0.1:5000".parse().unwrap());
        assert!(is_direct_local(loopback, &HeaderMap::new()));
        assert!(is_direct_local(Some("[::1]:5000".parse().unwrap()), &HeaderMap::new()));
        assert!(!is_direct_local(Some("192.168.1.9:5000".parse().unwrap()), &HeaderMap::new()));
        assert!(!is_direct_local(None, &HeaderMap::new()), "an unknown peer is not trusted");
        for name in FORWARDING_HEADERS {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static("203.0.113.7"));
            assert!(!is_direct_local(loopback, &headers), "{name}");
        }
    }
}
