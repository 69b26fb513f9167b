//! Writes that must not be lost: a store write that fails for a passing reason (a full disk, a
//! lock held past the busy timeout, a read-only directory, an I/O error) is retried with
//! backoff until it works. While writes fail the engine says so once, naming the database
//! ([`EngineEvent::StoreWritesFailing`]), and campaigns start no new call; the first write that
//! works says so too ([`EngineEvent::StoreWritesRecovered`]). Whether writes fail is kept in
//! the store itself, so every part of the engine that writes sees and reports the same state.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use switchboard_store::{Store, StoreError, WriteFailure};

use crate::blocking;
use crate::{EngineError, EngineEvent, EventBus};

/// The first wait before a failed write is tried again; waits double up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(50);

/// The longest wait between two tries of a failed write.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Writes to the store that are retried while they fail for a passing reason.
#[derive(Clone)]
pub struct StoreWrites {
    store: Arc<Store>,
    bus: EventBus,
}

impl StoreWrites {
    pub fn new(store: Arc<Store>, bus: EventBus) -> Self {
        Self { store, bus }
    }

    /// Why the store cannot be written now ("cannot write to …: disk full"), while it cannot.
    pub fn failing(&self) -> Option<String> {
        self.store.writes_failing().map(|failure| failure.message(self.store.path()))
    }

    /// Runs `write` on the blocking pool until it works or fails for a reason of its own (which
    /// is returned); a passing write failure is reported and retried with backoff, without end.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: Fn(&Store) -> Result<T, StoreError> + Clone + Send + 'static,
    {
        let attempt = || {
            let (store, write) = (Arc::clone(&self.store), write.clone());
            async move { blocking(move || write(&store)).await }
        };
        let backoff =
            ExponentialBuilder::default().with_min_delay(FIRST_WAIT).with_max_delay(MAX_WAIT).without_max_times();
        let result = attempt
            .retry(backoff)
            .when(|err: &EngineError| err.write_failure().is_some())
            .notify(|err: &EngineError, _| _ = self.note_error(err))
            .await;
        match &result {
            Ok(_) => self.note_success(),
            Err(err) => _ = self.note_error(err),
        }
        result
    }

    /// Notes a write done elsewhere that worked: writes that failed work again.
    pub(crate) fn note_success(&self) {
        self.note(None);
    }

    /// Notes a store error met elsewhere; returns whether it was a passing write failure
    /// (reported, and worth retrying).
    pub(crate) fn note_error(&self, err: &EngineError) -> bool {
        let Some(failure) = err.write_failure() else { return false };
        self.note(Some(failure));
        true
    }

    fn note(&self, failure: Option<WriteFailure>) {
        let before = self.store.note_write(failure);
        if before == failure {
            return;
        }
        match failure {
            Some(failure) => {
                let message = failure.message(self.store.path());
                tracing::error!(%message, "store writes fail; retrying, and campaigns start no new call meanwhile");
                self.bus.publish(EngineEvent::StoreWritesFailing { message });
            }
            None => {
                tracing::info!(path = %self.store.path().display(), "store writes work again");
                self.bus.publish(EngineEvent::StoreWritesRecovered);
            }
        }
    }
}
