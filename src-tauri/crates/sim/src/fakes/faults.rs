//! The faults a fake injects, per endpoint: latency on every request, then for the next few
//! requests a stall (past a client's timeout), a 429 or a 500. Each fake answers a fault in its
//! provider's error shape.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// A fault to answer with instead of the request's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    RateLimited,
    ServerError,
}

#[derive(Default)]
struct Pending {
    rate_limited: AtomicU32,
    server_errors: AtomicU32,
    stalls: AtomicU32,
}

/// Faults pending for a fake's endpoints, by index.
pub(crate) struct Faults {
    latency_ms: AtomicU64,
    stall_ms: AtomicU64,
    endpoints: Vec<Pending>,
}

impl Faults {
    pub(crate) fn new(endpoints: usize) -> Self {
        Self {
            latency_ms: AtomicU64::new(0),
            stall_ms: AtomicU64::new(0),
            endpoints: (0..endpoints).map(|_| Pending::default()).collect(),
        }
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(millis(latency), Ordering::Relaxed);
    }

    pub(crate) fn rate_limit_next(&self, endpoint: usize, count: u32) {
        self.endpoints[endpoint].rate_limited.store(count, Ordering::Release);
    }

    pub(crate) fn fail_next(&self, endpoint: usize, count: u32) {
        self.endpoints[endpoint].server_errors.store(count, Ordering::Release);
    }

    pub(crate) fn stall_next(&self, endpoint: usize, count: u32, stall: Duration) {
        self.stall_ms.store(millis(stall), Ordering::Relaxed);
        self.endpoints[endpoint].stalls.store(count, Ordering::Release);
    }

    /// Waits out the latency (and a stall, if one is pending), then takes the first fault
    /// pending for `endpoint`.
    pub(crate) async fn take(&self, endpoint: usize) -> Option<Fault> {
        let pending = &self.endpoints[endpoint];
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
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
