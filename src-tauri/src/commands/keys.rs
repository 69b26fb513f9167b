//! Commands of the provider keys: which are set and where from, store one, remove one. A value
//! crosses from the window once, on entry, and is never sent back. Storing or removing a key
//! puts it in force at once: the next call, webhook and `/health` request use it.

use std::sync::Arc;

use switchboard_engine::ErrorCode;
use switchboard_providers::Secret;

use super::Reply;
use crate::dto::CommandError;
use crate::keychain::{Keychain, KeychainError, KeysView};
use crate::operations::Ctx;

impl From<KeychainError> for CommandError {
    fn from(err: KeychainError) -> Self {
        let code = match err {
            KeychainError::UnknownKey(_) | KeychainError::Empty => ErrorCode::InvalidInput,
            KeychainError::Keychain { .. } => ErrorCode::KeychainUnavailable,
        };
        CommandError::new(code, err.to_string())
    }
}

/// Runs keychain work (D-Bus round trips) off the async workers.
pub(super) async fn with_keychain<T: Send + 'static>(
    keychain: &Arc<Keychain>,
    work: impl FnOnce(&Keychain) -> Result<T, KeychainError> + Send + 'static,
) -> Reply<T> {
    let keychain = Arc::clone(keychain);
    match tauri::async_runtime::spawn_blocking(move || work(&keychain)).await {
        Ok(result) => result.map_err(Into::into),
        Err(err) => {
            Err(CommandError::new(ErrorCode::KeychainUnavailable, format!("the keychain did not answer: {err}")))
        }
    }
}

pub async fn list_keys(ctx: &Ctx<'_>) -> Reply<KeysView> {
    with_keychain(ctx.keychain, |keychain| Ok(keychain.status())).await
}

pub async fn set_key(ctx: &Ctx<'_>, id: String, value: String) -> Reply<KeysView> {
    let value = Secret::new(value);
    let view = with_keychain(ctx.keychain, move |keychain| {
        keychain.set(&id, &value)?;
        Ok(keychain.status())
    })
    .await?;
    ctx.console.apply_settings(ctx.keychain).await;
    Ok(view)
}

pub async fn delete_key(ctx: &Ctx<'_>, id: String) -> Reply<KeysView> {
    let view = with_keychain(ctx.keychain, move |keychain| {
        keychain.delete(&id)?;
        Ok(keychain.status())
    })
    .await?;
    ctx.console.apply_settings(ctx.keychain).await;
    Ok(view)
}
