//! The runtime every pipeline call's playout runs on: one of its own, with two workers per core,
//! so the agent's frames are paced by threads that sleep between them — the kernel runs a waking
//! sleeper promptly — instead of waiting on the shared workers behind whatever else the engine
//! is doing (placing calls, the store, the model's replies), and with timers of its own. Two
//! workers per core, not one: when the machine is busy the kernel shares it out by thread, so the
//! playouts get a larger share, and a worker the kernel holds up leaves more of them to send the
//! frames that are due (500 calls on 2 cores: late frames as the engine sent them fell from a
//! median of 19 a run to 1). Should it not start, playouts run on the shared runtime as any
//! other task.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

static PLAYOUT: OnceLock<Option<Runtime>> = OnceLock::new();
/// Playout threads per core (see the module doc).
const WORKERS_PER_CORE: usize = 2;

/// Runs `playout` on the playout runtime (started on first use).
pub(super) fn spawn<F>(playout: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = PLAYOUT.get_or_init(|| {
        let workers = WORKERS_PER_CORE * std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("switchboard-playout")
            .enable_all()
            .build()
            .inspect_err(|error| tracing::warn!(%error, "no playout runtime: calls are paced on the shared one"))
            .ok()
    });
    match runtime {
        Some(runtime) => runtime.spawn(playout),
        None => tokio::spawn(playout),
    }
}
