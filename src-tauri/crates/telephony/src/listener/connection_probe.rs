//! `ConnectionProbe`: `/health`'s view of the providers' APIs — each configured provider's
//! connection check (the one Settings' "Test connection" runs), run at most once per
//! [`ConnectionProbe::TTL`] however often `/health` is asked, so the endpoint cannot be used to
//! hammer a provider; concurrent askers wait for the check in flight rather than start another.

use std::time::{Duration, Instant};

use switchboard_providers::{ConnectionTarget, Provider};
use tokio::sync::Mutex;

use super::health::{ProviderProbe, Reachability};
use switchboard_engine::BoxFuture;

/// Checks the providers it was given targets for; the others are not configured.
pub struct ConnectionProbe {
    providers: Vec<Probed>,
    ttl: Duration,
}

struct Probed {
    target: ConnectionTarget,
    /// The last outcome and when it was found.
    last: Mutex<Option<(Instant, Reachability)>>,
}

impl ConnectionProbe {
    /// How long a check's outcome is reported before the provider is checked again.
    pub const TTL: Duration = Duration::from_secs(60);

    /// A probe over `targets` (one per provider whose key is set).
    pub fn new(targets: impl IntoIterator<Item = ConnectionTarget>) -> Self {
        let providers = targets.into_iter().map(|target| Probed { target, last: Mutex::new(None) }).collect();
        Self { providers, ttl: Self::TTL }
    }

    /// Keeps each outcome for `ttl` instead of [`ConnectionProbe::TTL`].
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
}

impl ProviderProbe for ConnectionProbe {
    fn reachability(&self, provider: Provider) -> BoxFuture<'_, Reachability> {
        Box::pin(async move {
            let Some(probed) = self.providers.iter().find(|probed| probed.target.provider() == provider) else {
                return Reachability::NotConfigured;
            };
            let mut last = probed.last.lock().await;
            if let Some((checked_at, reachability)) = &*last
                && checked_at.elapsed() < self.ttl
            {
                return reachability.clone();
            }
            let reachability = Reachability::from(probed.target.check().await);
            if reachability != Reachability::Reachable {
                tracing::warn!(%provider, ?reachability, "a provider's API did not accept the connection check");
            }
            *last = Some((Instant::now(), reachability.clone()));
            reachability
        })
    }
}
