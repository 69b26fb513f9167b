//! Commands of the webhook listener: where it listens and the URLs to give each provider, its
//! port and public URL (used from the next start), and ngrok's tunnel when one runs.

use switchboard_core::FieldError;
use switchboard_engine::server::{NGROK_API_BASE, ngrok_public_url};
use tauri::State;

use super::{Reply, with_store};
use crate::console::Console;
use crate::dto::CommandError;
use crate::listener::{LISTENER_PORT, ListenerInfo, PUBLIC_URL};

#[tauri::command]
pub fn listener_info(console: State<'_, Console>) -> Option<ListenerInfo> {
    console.listener.clone()
}

/// Saves the port and the public URL (empty: detect ngrok, else local); they apply from the
/// next start.
#[tauri::command]
pub async fn set_listener_settings(console: State<'_, Console>, port: u16, public_url: String) -> Reply<()> {
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
    .await
}

/// ngrok's https tunnel, when ngrok runs on this computer.
#[tauri::command]
pub async fn detect_ngrok() -> Option<String> {
    ngrok_public_url(NGROK_API_BASE).await.ok().flatten()
}
