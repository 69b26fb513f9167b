//! Self-fencing: a node whose heartbeat has not reached the shared database for nearly the
//! expiry, or that finds another node declared it dead, hangs up the calls it runs at once
//! through their backends and stops, writing nothing (the store is out of reach, or refuses a
//! fenced node; the node that ends it writes the outcome): its calls are over before another
//! node may close them as lost and dial their targets again.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};

use crate::Engine;
use crate::nodes::NodeSettings;
use crate::placed_calls::ToHangUp;

impl NodeSettings {
    /// The expiry is at least this many heartbeats.
    pub const EXPIRY_IN_HEARTBEATS: u32 = 3;

    /// Whether the expiry leaves room for a slow beat: a node fences itself once its heartbeat
    /// has not reached the database for [`NodeSettings::fence_after`], which must stay above
    /// the beat's own period (a beat follows the last one by a heartbeat, or by its own time
    /// when that is longer).
    pub fn fits(&self) -> bool {
        self.expiry >= self.heartbeat * Self::EXPIRY_IN_HEARTBEATS
    }

    /// How long without a heartbeat reaching the database before this node fences itself: the
    /// expiry less one heartbeat, which its hang-ups and its exit have.
    pub fn fence_after(&self) -> Duration {
        self.expiry.saturating_sub(self.heartbeat)
    }

    /// How long a fenced node gives its hang-ups (each with this timeout, all at once): half a
    /// heartbeat, so it is gone half a heartbeat before any other node may declare it dead,
    /// room for its exit and for clocks a little apart.
    pub fn hang_up_within(&self) -> Duration {
        self.heartbeat / 2
    }
}

/// When this node's last heartbeat that reached the database was sent (its registration, to
/// begin with): the watchdog's clock.
#[derive(Debug, Clone)]
pub(crate) struct LastBeat(Arc<Mutex<Instant>>);

impl Default for LastBeat {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }
}

impl LastBeat {
    /// A heartbeat sent at `sent` reached the database (its row carries that time or later).
    pub(crate) fn reached(&self, sent: Instant) {
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *last = (*last).max(sent);
    }

    /// Returns once no heartbeat has reached the database for `silent`.
    pub(crate) async fn silent_for(&self, silent: Duration) {
        loop {
            let due = *self.0.lock().unwrap_or_else(PoisonError::into_inner) + silent;
            if Instant::now() >= due {
                return;
            }
            tokio::time::sleep_until(due).await;
        }
    }
}

impl Engine {
    /// Fences this node at once: it takes no more work, and every call it runs that its
    /// provider does not run on for another node has its task stopped and is hung up through
    /// its backend, all at once, each given until `within` from now. Reads and writes no store.
    pub(crate) async fn fence(&self, within: Duration) {
        self.stop_new_calls();
        let until = Instant::now() + within;
        let mut hanging_up = JoinSet::new();
        for call in self.placed_calls().fence(until) {
            hanging_up.spawn(hang_up_fenced(call, until));
        }
        let hung_up = hanging_up.join_all().await.into_iter().filter(|done| *done).count();
        // Calls being placed as the fence fell are hung up as their placing ends.
        self.placed_calls().placing_over(until).await;
        tracing::warn!(hung_up, "this node is fenced: it hung up its calls and stops");
    }
}

/// Hangs up `call` of a fenced engine by `until`; whether it was.
pub(crate) async fn hang_up_fenced(ToHangUp { call, backend }: ToHangUp, until: Instant) -> bool {
    match timeout_at(until, backend.hang_up(call)).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(call = %call, %error, "a fenced node could not hang up its call");
            false
        }
        Err(_) => {
            tracing::error!(call = %call, "a fenced node's hang-up did not finish in time");
            false
        }
    }
}
