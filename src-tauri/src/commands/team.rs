//! Operations of the console's link to a team server: which one it is signed in to, the
//! certificate a server shows, signing in (the embedded engine stops; everything is the
//! server's from then on), and "Use this computer" (signs out and starts the console again).

use std::time::Duration;

use switchboard_core::FieldError;
use switchboard_providers::Secret;

use super::Reply;
use super::keys::with_keychain;
use crate::dto::CommandError;
use crate::operations::Ctx;
use crate::team::link::{self, TeamConnection};
use crate::team::offline::OfflineCopy;
use crate::team::trust::CertificateCheck;

/// The team server the console is signed in to; none while it uses this computer's engine.
pub async fn team_status(ctx: &Ctx<'_>) -> Reply<Option<TeamConnection>> {
    Ok(ctx.desktop()?.team.current().map(|connected| connected.connection.clone()))
}

/// What this computer makes of the certificate the server at `url` shows: trusted by the system
/// (its issuer named), or its SHA-256 fingerprint to compare with the one `serve --team` printed.
pub async fn team_certificate(_: &Ctx<'_>, url: String) -> Reply<CertificateCheck> {
    link::certificate_check(&link::server_url(&url)?).await
}

/// Signs in to the server at `url` as `name`, trusting the certificate with `fingerprint` or,
/// with none, a certificate the system trusts; the
/// token goes to the OS keychain, this computer's engine stops, and every operation and event
/// is the server's from now on. Refused while calls this computer placed are on the line.
pub async fn team_sign_in(
    ctx: &Ctx<'_>,
    url: String,
    name: String,
    password: String,
    fingerprint: Option<String>,
) -> Reply<TeamConnection> {
    let desktop = ctx.desktop()?;
    let mut problems = Vec::new();
    let url = link::server_url(&url).map_err(|err| problems.extend(err.fields)).ok();
    if name.trim().is_empty() {
        problems.push(FieldError::new("teamName", "give the name of your account on the team server"));
    }
    if password.is_empty() {
        problems.push(FieldError::new("teamPassword", "give your password"));
    }
    let Some(url) = url.filter(|_| problems.is_empty()) else {
        return Err(CommandError::invalid(problems));
    };
    // Signing in stops this computer's engine, which would cut its calls off mid-sentence.
    let on_line = ctx.console.engine.as_ref().map_or(0, |engine| engine.calls_on_line());
    if on_line > 0 {
        let calls = if on_line == 1 { "a call is".to_owned() } else { format!("{on_line} calls are") };
        let why =
            format!("{calls} on the line on this computer: end or finish them first, signing in would cut them off");
        return Err(CommandError::invalid(vec![FieldError::new("team", why)]));
    }
    let fingerprint = fingerprint.as_deref().map(str::trim).filter(|fingerprint| !fingerprint.is_empty());
    let (connection, token) = link::sign_in(&url, name.trim(), &password, fingerprint).await?;
    let account = account(&connection);
    let secret = Secret::new(token.clone());
    with_keychain(ctx.keychain, move |keychain| keychain.set_team_token(&account, &secret)).await?;
    link::save(&ctx.console.paths.root, Some(&connection))?;
    if let Some(switchboard) = ctx.console.take_running() {
        tracing::info!(server = %connection.url, "signed in to a team server: this computer's engine stops");
        switchboard.stop(Duration::ZERO, std::future::ready(())).await;
    }
    desktop.team.connect(desktop.app, &ctx.console.paths.root, connection.clone(), token)?;
    Ok(connection)
}

/// The offline copy History answers from while the team server cannot be reached; none while
/// it can, or when the console is not signed in.
pub async fn team_offline(ctx: &Ctx<'_>) -> Reply<Option<OfflineCopy>> {
    Ok(ctx.desktop()?.team.current().and_then(|connected| connected.history.stale()))
}

/// Signs out of the team server and starts the console again on this computer's engine.
pub async fn use_this_computer(ctx: &Ctx<'_>) -> Reply<()> {
    let desktop = ctx.desktop()?;
    if let Some(connected) = desktop.team.current() {
        let account = account(&connected.connection);
        with_keychain(ctx.keychain, move |keychain| keychain.delete_team_token(&account)).await?;
    }
    link::save(&ctx.console.paths.root, None)?;
    tracing::info!("back to this computer's engine: the console starts again");
    desktop.app.restart()
}

/// The keychain's name for the token of `connection`'s account.
pub fn account(connection: &TeamConnection) -> String {
    format!("{}@{}", connection.name, connection.url)
}
