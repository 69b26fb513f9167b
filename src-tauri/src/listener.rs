//! The webhook listener as the console and the commands set it up: on 127.0.0.1 (port from
//! Settings, from the next start, or the command line), verifying each provider's webhooks with the secrets in the
//! keychain, reachable by providers at the public URL from Settings, else at ngrok's tunnel when
//! one runs, else locally. Its `/health` checks the APIs of the providers whose keys are set (at
//! most once a minute). Secrets and the public URL follow Settings at once (see
//! [`provider_set`](crate::provider_set)).

use std::net::SocketAddr;

use serde::Serialize;
use switchboard_telephony::listener::webhook_urls;
use ts_rs::TS;

use crate::provider_set::Built;

/// One URL to paste into a provider's dashboard.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WebhookUrl {
    pub label: String,
    pub url: String,
}

/// The listener as Settings shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListenerInfo {
    pub port: u16,
    /// Where it listens, when it does.
    pub local_url: Option<String>,
    pub public_url: String,
    /// "command line", "settings", "ngrok" or "local".
    pub public_url_source: String,
    pub urls: Vec<WebhookUrl>,
    /// Providers whose webhooks can be verified (their secret is set).
    pub verified: Vec<String>,
    /// Why it is not listening, if it is not.
    pub error: Option<String>,
}

impl ListenerInfo {
    /// The listener on `port` as providers reach it with `built`'s public URL and secrets (not
    /// listening yet).
    pub fn new(port: u16, built: &Built) -> Self {
        let mut info = Self {
            port,
            local_url: None,
            public_url: String::new(),
            public_url_source: String::new(),
            urls: Vec::new(),
            verified: Vec::new(),
            error: None,
        };
        info.follow(built);
        info
    }

    /// Takes the public URL, its webhook URLs and the verified providers from `built`.
    pub fn follow(&mut self, built: &Built) {
        let public_url = &built.set.public_base_url;
        self.public_url.clone_from(public_url);
        self.public_url_source = built.public_url_source.to_owned();
        self.urls = webhook_urls(public_url)
            .into_iter()
            .map(|(label, url)| WebhookUrl { label: label.to_owned(), url })
            .collect();
        self.verified.clone_from(&built.verified);
    }

    /// Notes where the listener listens, or why it does not.
    pub fn listening(&mut self, bound: &Result<SocketAddr, String>) {
        match bound {
            Ok(bound) => {
                self.local_url = Some(format!("http://{bound}"));
                self.port = bound.port();
            }
            Err(reason) => self.error = Some(reason.clone()),
        }
    }
}
