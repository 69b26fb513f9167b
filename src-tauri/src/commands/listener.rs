//! Commands of the webhook listener: where it listens and the URLs to give each provider, its
//! port (used from the next start) and public URL (at once), ngrok's tunnel when one runs, and
//! the Twilio number calls are placed from (at once).

use std::sync::Arc;

use switchboard_core::FieldError;
use switchboard_engine::server::{NGROK_API_BASE, ngrok_public_url};
use switchboard_engine::settings;
use tauri::State;

use super::{Reply, with_store};
use crate::console::Console;
use crate::dto::CommandError;
use crate::keychain::Keychain;
use crate::listener::{LISTENER_PORT, ListenerInfo, PUBLIC_URL};

#[tauri::command]
pub fn listener_info(console: State<'_, Console>) -> Option<ListenerInfo> {
    console.listener()
}

/// Saves the port and the public URL (empty: detect ngrok, else local). The public URL applies
/// at once (calls placed from now on give it to Twilio, webhooks are verified against it); the
/// port from the next start.
#[tauri::command]
pub async fn set_listener_settings(
    console: State<'_, Console>,
    keychain: State<'_, Arc<Keychain>>,
    port: u16,
    public_url: String,
) -> Reply<()> {
    let public_url = public_url.trim().trim_end_matches('/').to_owned();
    if port < 1024 {
        return Err(CommandError::invalid(vec![FieldError::new("port", "use a port from 1024 to 65535")]));
    }
    let web_address = public_url.starts_with("https://") || public_url.starts_with("http://");
    if !public_url.is_empty() && !web_address {
        return Err(CommandError::invalid(vec![FieldError::new(
            "publicUrl",
            "the public URL starts with https:// (or http:// for a local test)",
        )]));
    }
    with_store(&console, move |store| {
        store.set_setting(LISTENER_PORT, &port.to_string())?;
        store.set_setting(PUBLIC_URL, &public_url)
    })
    .await?;
    console.apply_settings(&keychain).await;
    Ok(())
}

/// The Twilio number calls are placed from (empty when unset).
#[tauri::command]
pub async fn twilio_from_number(console: State<'_, Console>) -> Reply<String> {
    with_store(&console, |store| Ok::<_, CommandError>(settings::twilio_from_number(store)?.unwrap_or_default())).await
}

/// Saves the Twilio calling number (E.164, or empty to unset); the next call is placed from it.
#[tauri::command]
pub async fn set_twilio_from_number(
    console: State<'_, Console>,
    keychain: State<'_, Arc<Keychain>>,
    number: String,
) -> Reply<()> {
    let number = number.trim().to_owned();
    let digits = number.strip_prefix('+').unwrap_or_default();
    let e164 = (7..=15).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit());
    if !number.is_empty() && (!e164 || digits.starts_with('0')) {
        return Err(CommandError::invalid(vec![FieldError::new(
            "twilioFromNumber",
            "the calling number is written in E.164, like +13125550100",
        )]));
    }
    with_store(&console, move |store| store.set_setting(settings::TWILIO_FROM_NUMBER, &number)).await?;
    console.apply_settings(&keychain).await;
    Ok(())
}

/// ngrok's https tunnel, when ngrok runs on this computer.
#[tauri::command]
pub async fn detect_ngrok() -> Option<String> {
    ngrok_public_url(NGROK_API_BASE).await.ok().flatten()
}
