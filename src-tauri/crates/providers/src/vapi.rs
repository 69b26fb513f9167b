//! Vapi: placing calls with an assistant and per-call variable values, reading calls back,
//! and the server messages (end-of-call report, status updates) Vapi posts to us.

mod calls;
mod chat;
mod control;
mod server_message;

pub use calls::{Analysis, Artifact, ArtifactMessage, Monitor, VapiCall, VapiCallRequest, VapiCallStatus};
pub use chat::{ChatFunction, ChatMessage, ChatToolCall, VapiChat, VapiChatRequest};
pub use control::{ContextMessage, ControlMessage, TransferDestination};
pub use server_message::{CallRef, EndOfCallReport, StatusUpdate, VapiServerMessage};

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};

use crate::http::{HttpClient, Resend, base_url, path_id, secret_header};
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret};

const PROVIDER: Provider = Provider::Vapi;

#[derive(Debug, Clone)]
pub struct VapiConfig {
    /// `https://api.vapi.ai` ([`VapiConfig::DEFAULT_BASE_URL`]) or a loopback fake.
    pub base_url: String,
    pub api_key: Secret,
}

impl VapiConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.vapi.ai";
}

#[derive(Debug, Clone)]
pub struct VapiClient {
    http: HttpClient,
    base: String,
    authorization: HeaderValue,
}

impl VapiClient {
    pub fn new(config: VapiConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url(PROVIDER, &config.base_url)?,
            authorization: secret_header(PROVIDER, "Bearer ", &config.api_key)?,
            http: HttpClient::new(PROVIDER, settings, vec![config.api_key])?,
        })
    }

    /// Lists at most one assistant (`GET /assistant?limit=1`): the private key works.
    pub async fn check_connection(&self) -> ConnectionCheck {
        let url = format!("{}/assistant?limit=1", self.base);
        self.http.check(|client| self.authorize(client.get(&url))).await
    }

    /// Places a call; resent only when Vapi surely did not take it.
    pub async fn create_call(&self, request: &VapiCallRequest) -> Result<VapiCall, ProviderError> {
        let url = format!("{}/call", self.base);
        let body = request.wire();
        self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(&body)).await
    }

    pub async fn get_call(&self, call_id: &str) -> Result<VapiCall, ProviderError> {
        let url = format!("{}/call/{}", self.base, path_id(PROVIDER, "call id", call_id)?);
        self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await
    }

    /// Sends one chat turn to an assistant (`POST /chat`, not streamed) and returns its answer.
    /// Not resent after a doubtful failure: a turn taken twice would fork the conversation.
    pub async fn chat(&self, request: &VapiChatRequest) -> Result<VapiChat, ProviderError> {
        let url = format!("{}/chat", self.base);
        let body = request.wire();
        self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(&body)).await
    }

    /// Fetches a call's recording from the `recordingUrl` Vapi reported. Vapi's storage links
    /// need no key, and the key is never sent to another host, so none goes with this request.
    pub async fn recording(&self, url: &str) -> Result<Vec<u8>, ProviderError> {
        let url = reqwest::Url::parse(url.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| ProviderError::InvalidRequest {
                provider: PROVIDER,
                reason: "the recording URL is not an http(s) URL".to_owned(),
            })?;
        let audio = self.http.body(Resend::Safe, |client| client.get(url.clone()).header(ACCEPT, "audio/*")).await?;
        Ok(audio.to_vec())
    }

    /// Sends a live control message to a call's `monitor.controlUrl`. The URL is Vapi's own
    /// for that call and needs no key (control authentication off, Vapi's default), so none is
    /// sent to it; not resent, as a repeated `say` would be said twice.
    pub async fn control(&self, control_url: &str, message: &ControlMessage) -> Result<(), ProviderError> {
        let url = reqwest::Url::parse(control_url.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| ProviderError::InvalidRequest {
            provider: PROVIDER,
            reason: "the call's control URL is not an http(s) URL".to_owned(),
        })?;
        self.http.body(Resend::OnlyIfUnprocessed, |client| client.post(url.clone()).json(message)).await?;
        Ok(())
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(AUTHORIZATION, &self.authorization).header(ACCEPT, "application/json")
    }
}

#[cfg(test)]
mod tests {
    use super::{VapiClient, VapiConfig};
    use crate::{HttpSettings, Secret};

    #[tokio::test]
    async fn a_recording_url_that_is_not_http_is_refused_before_any_request() {
        let config = VapiConfig { base_url: "http://127.0.0.1:9".into(), api_key: Secret::new("key") };
        let client = VapiClient::new(config, &HttpSettings::default()).unwrap();
        for url in ["file:///etc/passwd", "not a url", ""] {
            let error = client.recording(url).await.unwrap_err();
            assert_eq!(error.to_string(), "invalid request for Vapi: the recording URL is not an http(s) URL", "{url}");
        }
    }
}
