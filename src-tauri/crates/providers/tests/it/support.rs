//! What the provider tests share besides the scripted loopback servers of `switchboard-fakes`:
//! quick client settings, a Basic header, a plain client to send webhooks with.

use std::time::Duration;

use switchboard_providers::{HttpSettings, RetryPolicy};

/// Settings for tests: short timeouts and tiny backoff delays.
pub fn fast_settings() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_millis(500),
        retry: RetryPolicy {
            max_attempts: 3,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
        },
    }
}

/// `Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// A plain HTTP client for a fake sending webhooks (rustls needs its crypto provider first).
pub fn webhook_sender() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
