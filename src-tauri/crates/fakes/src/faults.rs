//! The faults every fake injects: latency on each request, then per endpoint a number of
//! requests answered 429 (with `Retry-After`), answered 500, or held past a client's timeout;
//! and how webhooks are delivered (in order, dropped, duplicated or reordered). Each fake words
//! its error bodies in its own provider's shape.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// How a fake delivers its webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookDelivery {
    /// Each when it happens, in order.
    #[default]
    InOrder,
    /// None at all (the reconciler must find the call).
    Dropped,
    /// Each one twice.
    Duplicated,
    /// Last first.
    Reordered,
}

impl WebhookDelivery {
    /// `webhooks` (in the order they happened) as this mode posts them: none when dropped.
    pub(super) fn order<Webhook: Clone>(self, webhooks: Vec<Webhook>) -> Vec<Webhook> {
        match self {
            Self::InOrder => webhooks,
            Self::Dropped => Vec::new(),
            Self::Duplicated => webhooks.into_iter().flat_map(|webhook| [webhook.clone(), webhook]).collect(),
            Self::Reordered => webhooks.into_iter().rev().collect(),
        }
    }
}

/// A fault a request is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// 429 with `Retry-After: 1`.
    RateLimited,
    /// 500.
    ServerError,
}

/// Faults pending for one endpoint: how many of its next requests each hits.
#[derive(Default)]
struct Pending {
    rate_limited: AtomicU32,
    server_errors: AtomicU32,
    stalls: AtomicU32,
}

/// The faults of a fake with `N` endpoints (numbered by the fake's own endpoint enum).
pub(super) struct Faults<const N: usize> {
    latency_ms: AtomicU64,
    stall_ms: AtomicU64,
    pending: [Pending; N],
}

impl<const N: usize> Default for Faults<N> {
    fn default() -> Self {
        Self {
            latency_ms: AtomicU64::new(0),
            stall_ms: AtomicU64::new(0),
            pending: std::array::from_fn(|_| Pending::default()),
        }
    }
}

impl<const N: usize> Faults<N> {
    /// Waits out the latency (and a pending stall), then takes the first fault still pending
    /// for `endpoint`, if any.
    pub(super) async fn next(&self, endpoint: usize) -> Option<Fault> {
        let pending = &self.pending[endpoint];
        tokio::time::sleep(Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))).await;
        let take = |counter: &AtomicU32| {
            counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok()
        };
        if take(&pending.stalls) {
            tokio::time::sleep(Duration::from_millis(self.stall_ms.load(Ordering::Relaxed))).await;
        }
        if take(&pending.rate_limited) {
            return Some(Fault::RateLimited);
        }
        take(&pending.server_errors).then_some(Fault::ServerError)
    }

    pub(super) fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(millis(latency), Ordering::Relaxed);
    }

    pub(super) fn rate_limit_next(&self, endpoint: usize, count: u32) {
        self.pending[endpoint].rate_limited.store(count, Ordering::Release);
    }

    pub(super) fn fail_next(&self, endpoint: usize, count: u32) {
        self.pending[endpoint].server_errors.store(count, Ordering::Release);
    }

    pub(super) fn stall_next(&self, endpoint: usize, count: u32, stall: Duration) {
        self.stall_ms.store(millis(stall), Ordering::Relaxed);
        self.pending[endpoint].stalls.store(count, Ordering::Release);
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
