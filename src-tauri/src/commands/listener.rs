//! Commands of the webhook listener: where it listens and the URLs to give each provider, its
//! port (used from the next start), public URL and the Twilio number calls are placed from (at
//! once), saved together or not at all, and ngrok's tunnel when one runs.

use switchboard_core::FieldError;
use switchboard_engine::settings;
use switchboard_telephony::listener::{NGROK_API_BASE, ngrok_public_url};

use super::{Reply, with_store};
use crate::dto::CommandError;
use crate::listener::ListenerInfo;
use crate::listener_address::{LISTENER_PORT, PUBLIC_URL};
use crate::operations::Ctx;

pub async fn listener_info(ctx: &Ctx<'_>) -> Reply<Option<ListenerInfo>> {
    Ok(ctx.console.listener())
}

/// Saves the port, the public URL (empty: detect ngrok, else local) and the Twilio calling
/// number (E.164, or empty to unset) all together: every problem is reported by field and then
/// nothing is written. The public URL and the number apply at once (calls placed from now on
/// use them, webhooks are verified against the URL); the port from the next start.
pub async fn set_listener_settings(ctx: &Ctx<'_>, port: u16, public_url: String, from_number: String) -> Reply<()> {
    let public_url = public_url.trim().trim_end_matches('/').to_owned();
    let from_number = from_number.trim().to_owned();
    let problems = listener_problems(port, &public_url, &from_number);
    if !problems.is_empty() {
        return Err(CommandError::invalid(problems));
    }
    with_store(ctx.console, move |store| {
        store.set_settings(&[
            (LISTENER_PORT, &port.to_string()),
            (PUBLIC_URL, &public_url),
            (settings::TWILIO_FROM_NUMBER, &from_number),
        ])
    })
    .await?;
    ctx.console.apply_settings(ctx.keychain).await;
    Ok(())
}

/// Every problem with the listener's settings, by field.
fn listener_problems(port: u16, public_url: &str, from_number: &str) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if port < 1024 {
        problems.push(FieldError::new("port", "use a port from 1024 to 65535"));
    }
    let web_address = public_url.starts_with("https://") || public_url.starts_with("http://");
    if !public_url.is_empty() && !web_address {
        problems
            .push(FieldError::new("publicUrl", "the public URL starts with https:// (or http:// for a local test)"));
    }
    let digits = from_number.strip_prefix('+').unwrap_or_default();
    let e164 = (7..=15).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit());
    if !from_number.is_empty() && (!e164 || digits.starts_with('0')) {
        problems.push(FieldError::new("twilioFromNumber", "the calling number is written in E.164, like +13125550100"));
    }
    problems
}

/// The Twilio number calls are placed from (empty when unset).
pub async fn twilio_from_number(ctx: &Ctx<'_>) -> Reply<String> {
    with_store(ctx.console, |store| Ok::<_, CommandError>(settings::twilio_from_number(store)?.unwrap_or_default()))
        .await
}

/// ngrok's https tunnel, when ngrok runs on this computer.
pub async fn detect_ngrok(_: &Ctx<'_>) -> Reply<Option<String>> {
    Ok(ngrok_public_url(NGROK_API_BASE).await.ok().flatten())
}

#[cfg(test)]
mod tests {
    use super::listener_problems;

    #[test]
    fn every_problem_is_named_by_its_field() {
        assert!(listener_problems(8765, "https://example.ngrok.app", "+13125550100").is_empty());
        assert!(listener_problems(8765, "", "").is_empty(), "empty: detect the URL, no number");
        let fields: Vec<String> =
            listener_problems(80, "example.ngrok.app", "312-555-0100").into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["port", "publicUrl", "twilioFromNumber"]);
    }
}
