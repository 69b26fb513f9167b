//! `test_connection`: Settings' "Test connection" button. Reads the provider's key(s) from the
//! keychain (or the environment) and sends its API one cheap authenticated request; the answer
//! says connected, key refused, unreachable (with the provider's words) or not configured.

use switchboard_engine::ErrorCode;
use switchboard_providers::ConnectionCheck;

use super::Reply;
use super::keys::with_keychain;
use crate::dto::{CommandError, ConnectionResult};
use crate::operations::Ctx;
use crate::provider_api;

pub async fn test_connection(ctx: &Ctx<'_>, provider: String) -> Reply<ConnectionResult> {
    let Some(provider) = provider_api::by_name(&provider) else {
        return Err(CommandError::new(
            ErrorCode::InvalidInput,
            format!("{provider:?} is not a provider Switchboard knows"),
        ));
    };
    let credentials =
        with_keychain(ctx.keychain, move |keychain| provider_api::credentials(&|id| keychain.get(id), provider))
            .await?;
    let Some(credentials) = credentials else {
        return Ok(ConnectionResult::not_configured(provider, provider_api::not_configured(provider)));
    };
    let check = match provider_api::connection_target(provider, credentials) {
        Ok(target) => target.check().await,
        Err(setup) => ConnectionCheck::Unreachable(setup),
    };
    let result = ConnectionResult::new(provider, check);
    tracing::info!(%provider, outcome = ?result.outcome, "connection tested");
    Ok(result)
}
