//! A tokio runtime on a thread of its own, for work that must keep time whatever the shared
//! workers are busy with: the kernel runs a thread that sleeps between short bursts of work as
//! soon as it wakes, where a task on the shared workers waits behind every other task there.

use tokio::runtime::{Builder, Handle};

/// Starts a current-thread runtime (timers and I/O enabled) on a new thread named `name`, which
/// runs for the rest of the process; tasks spawned through the handle run there.
pub fn start(name: &str) -> std::io::Result<Handle> {
    let runtime = Builder::new_current_thread().enable_all().build()?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new().name(name.to_owned()).spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    Ok(handle)
}
