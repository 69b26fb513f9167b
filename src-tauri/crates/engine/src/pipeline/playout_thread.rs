//! The thread every pipeline call's playout runs on, so the agent's frames are paced by a thread
//! that sleeps between them instead of waiting on the shared workers behind whatever else the
//! engine is doing (placing calls, the store, the model's replies), and with timers of its own.
//! Should the thread not start, playouts run on the shared runtime as any other task.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::runtime_thread;

static PLAYOUT: OnceLock<Option<Handle>> = OnceLock::new();

/// Runs `playout` on the playout thread (started on first use).
pub(super) fn spawn<F>(playout: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let thread = PLAYOUT.get_or_init(|| {
        runtime_thread::start("switchboard-playout")
            .inspect_err(|error| tracing::warn!(%error, "no playout thread: calls are paced on the shared runtime"))
            .ok()
    });
    match thread {
        Some(thread) => thread.spawn(playout),
        None => tokio::spawn(playout),
    }
}
