//! The URLs to paste into each provider's dashboard, and the public URL of a running ngrok
//! tunnel read from ngrok's local API.

use std::time::Duration;

use serde::Deserialize;
use switchboard_providers::signature::websocket_url;

use super::routes::WebhookRoute;
use crate::backends::twilio::TWILIO_MEDIA_PATH;
use crate::gather::TWILIO_VOICE_PATH;

/// Where ngrok's agent serves its local API.
pub const NGROK_API_BASE: &str = "http://127.0.0.1:4040";

/// Each webhook URL providers must be given, labelled with where it goes.
pub fn webhook_urls(public_base: &str) -> Vec<(&'static str, String)> {
    let base = public_base.trim_end_matches('/');
    let url = |path: &str| format!("{base}{path}");
    let mut urls = vec![
        ("Twilio voice URL (A call comes in / Url)", url(TWILIO_VOICE_PATH)),
        ("Twilio media stream (<Stream url>)", websocket_url(&url(TWILIO_MEDIA_PATH))),
    ];
    urls.extend(WebhookRoute::ALL.into_iter().map(|route| (route.webhook().label, url(route.path()))));
    urls
}

/// Why ngrok's public URL could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PublicUrlError {
    #[error("ngrok's local API at {api_base} did not answer: {reason}")]
    Unreachable { api_base: String, reason: String },
    #[error("ngrok's local API answered something unexpected: {0}")]
    Unreadable(String),
}

#[derive(Deserialize)]
struct Tunnels {
    tunnels: Vec<Tunnel>,
}

#[derive(Deserialize)]
struct Tunnel {
    public_url: String,
}

/// The `https://` public URL of the first tunnel ngrok reports at `api_base` (normally
/// [`NGROK_API_BASE`]); `None` when ngrok runs no https tunnel.
pub async fn ngrok_public_url(api_base: &str) -> Result<Option<String>, PublicUrlError> {
    let api_base = api_base.trim_end_matches('/');
    let unreachable = |error: reqwest::Error| PublicUrlError::Unreachable {
        api_base: api_base.to_owned(),
        reason: error.without_url().to_string(),
    };
    // reqwest is built with rustls and no default crypto; the ring provider is the workspace's.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(3)).build().map_err(unreachable)?;
    let response = client.get(format!("{api_base}/api/tunnels")).send().await.map_err(unreachable)?;
    let response = response.error_for_status().map_err(unreachable)?;
    let tunnels: Tunnels = response.json().await.map_err(|error| PublicUrlError::Unreadable(error.to_string()))?;
    Ok(tunnels
        .tunnels
        .into_iter()
        .map(|tunnel| tunnel.public_url)
        .find(|url| url.starts_with("https://"))
        .map(|url| url.trim_end_matches('/').to_owned()))
}

#[cfg(test)]
mod tests {
    use super::webhook_urls;

    #[test]
    fn every_route_has_a_url_under_the_public_base() {
        let urls = webhook_urls("https://abc.ngrok.app/");
        assert_eq!(urls.len(), 8);
        assert!(urls.iter().any(|(_, url)| url == "https://abc.ngrok.app/twilio/status"));
        assert!(urls.iter().any(|(_, url)| url == "wss://abc.ngrok.app/twilio/media"));
        assert!(urls.iter().all(|(_, url)| url.starts_with("https://abc.ngrok.app/") || url.starts_with("wss://")));
    }
}
