//! Tauri commands: thin calls into the engine and store, errors mapped to `CommandError`.

pub mod agents;
pub mod calls;
pub mod campaigns;
pub mod connection;
pub mod contacts;
pub mod history;
pub mod keys;
pub mod listener;
pub mod listening;
pub mod playback;
pub mod settings;

use std::sync::Arc;

use switchboard_engine::{Engine, ErrorCode};
use switchboard_store::{Store, StoreError};

use crate::console::Console;
use crate::dto::CommandError;

/// A command's answer.
pub type Reply<T> = Result<T, CommandError>;

/// The running engine, or why the console could not start.
pub fn engine(console: &Console) -> Reply<Arc<Engine>> {
    console.engine.clone().map_err(|reason| CommandError::new(ErrorCode::Storage, reason))
}

/// Runs store work off the async workers.
pub async fn with_store<T: Send + 'static, E: Into<CommandError> + Send + 'static>(
    console: &Console,
    work: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Reply<T> {
    let store = Arc::clone(engine(console)?.store());
    match tauri::async_runtime::spawn_blocking(move || work(&store)).await {
        Ok(result) => result.map_err(Into::into),
        Err(err) => Err(CommandError::new(ErrorCode::Storage, format!("the work did not finish: {err}"))),
    }
}

/// Reads on the store.
pub async fn query<T: Send + 'static>(
    console: &Console,
    read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Reply<T> {
    with_store(console, read).await
}
