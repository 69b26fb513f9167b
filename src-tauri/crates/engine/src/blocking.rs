//! Store work off the async workers: SQLite calls block.

use crate::EngineError;

/// Runs a store operation off the async workers (SQLite calls block). When the runtime shuts
/// down under it, says so instead of panicking.
pub async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, EngineError>
where
    T: Send + 'static,
    E: Into<EngineError> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(Into::into),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => Err(EngineError::ShuttingDown),
    }
}
