//! Ultravox: agents kept in sync with Switchboard's agent configs, calls bridged through Twilio
//! (create the call, then dial with `<Connect><Stream url="{joinUrl}"/>`), and call webhooks.

mod agents;
mod call_template;
mod calls;
mod messages;
mod webhook;

pub use agents::{AgentCall, AgentSpec, UltravoxAgent};
pub use call_template::{CallTemplate, HttpTool, ToolHeader, ToolParameter};
pub use calls::{DirectCall, EndReason, UltravoxCall};
pub use messages::{CallMessage, MessageRole, Timespan};
pub use webhook::{UltravoxEvent, UltravoxWebhook};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderValue};

use messages::{MessagePage, next_cursor};

use crate::http::{HttpClient, Resend, base_url, path_id, secret_header};
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret};

const PROVIDER: Provider = Provider::Ultravox;
/// Messages asked for per page.
const MESSAGE_PAGE: u32 = 100;
/// Pages read before giving up on a call's messages (a loop guard: no call says that much).
const MAX_MESSAGE_PAGES: u32 = 100;

#[derive(Debug, Clone)]
pub struct UltravoxConfig {
    /// `https://api.ultravox.ai` ([`UltravoxConfig::DEFAULT_BASE_URL`]) or a loopback fake.
    pub base_url: String,
    pub api_key: Secret,
}

impl UltravoxConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.ultravox.ai";
}

#[derive(Debug, Clone)]
pub struct UltravoxClient {
    http: HttpClient,
    base: String,
    api_key: HeaderValue,
}

impl UltravoxClient {
    pub fn new(config: UltravoxConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url(PROVIDER, &config.base_url)?,
            api_key: secret_header(PROVIDER, "", &config.api_key)?,
            http: HttpClient::new(PROVIDER, settings, vec![config.api_key])?,
        })
    }

    /// Reads the key's account (`GET /api/accounts/me`): the key works.
    pub async fn check_connection(&self) -> ConnectionCheck {
        let url = format!("{}/api/accounts/me", self.base);
        self.http.check(|client| self.authorize(client.get(&url))).await
    }

    pub async fn create_agent(&self, agent: &AgentSpec) -> Result<UltravoxAgent, ProviderError> {
        let url = format!("{}/api/agents", self.base);
        let body = agent.wire();
        self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(&body)).await
    }

    /// Replaces the agent's name and call template with `agent`'s.
    pub async fn update_agent(&self, agent_id: &str, agent: &AgentSpec) -> Result<UltravoxAgent, ProviderError> {
        let url = self.agent_url(agent_id)?;
        let body = agent.wire();
        self.http.json(Resend::Safe, |client| self.authorize(client.patch(&url)).json(&body)).await
    }

    /// Deletes the agent; one already gone counts as deleted.
    pub async fn delete_agent(&self, agent_id: &str) -> Result<(), ProviderError> {
        let url = self.agent_url(agent_id)?;
        match self.http.body(Resend::Safe, |client| self.authorize(client.delete(&url))).await {
            Ok(_) => Ok(()),
            Err(error) if error.status() == Some(StatusCode::NOT_FOUND.as_u16()) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Starts a call with an agent. Nothing rings until Twilio joins `joinUrl`, so a resend
    /// costs at most an unjoined call.
    pub async fn create_agent_call(&self, agent_id: &str, call: &AgentCall) -> Result<UltravoxCall, ProviderError> {
        let url = format!("{}/calls", self.agent_url(agent_id)?);
        let body = call.wire();
        self.http.json(Resend::Safe, |client| self.authorize(client.post(&url)).json(&body)).await
    }

    /// Starts a call configured inline.
    pub async fn create_call(&self, call: &DirectCall) -> Result<UltravoxCall, ProviderError> {
        let url = format!("{}/api/calls", self.base);
        self.http.json(Resend::Safe, |client| self.authorize(client.post(&url)).json(call)).await
    }

    pub async fn get_call(&self, call_id: &str) -> Result<UltravoxCall, ProviderError> {
        let url = format!("{}/api/calls/{}", self.base, path_id(PROVIDER, "call id", call_id)?);
        self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await
    }

    /// Every message of a call (what was said, the tools called), following its pages.
    pub async fn call_messages(&self, call_id: &str) -> Result<Vec<CallMessage>, ProviderError> {
        let first = format!(
            "{}/api/calls/{}/messages?pageSize={MESSAGE_PAGE}",
            self.base,
            path_id(PROVIDER, "call id", call_id)?
        );
        let mut url = first.clone();
        let mut messages = Vec::new();
        for _ in 0..MAX_MESSAGE_PAGES {
            let page: MessagePage = self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await?;
            messages.extend(page.results);
            match page.next.as_deref().and_then(next_cursor) {
                Some(cursor) => {
                    let cursor: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
                    url = format!("{first}&cursor={cursor}");
                }
                None => return Ok(messages),
            }
        }
        Err(ProviderError::Decode {
            provider: PROVIDER,
            reason: format!("the call's messages run past {MAX_MESSAGE_PAGES} pages"),
        })
    }

    fn agent_url(&self, agent_id: &str) -> Result<String, ProviderError> {
        Ok(format!("{}/api/agents/{}", self.base, path_id(PROVIDER, "agent id", agent_id)?))
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header("X-API-Key", &self.api_key).header(ACCEPT, "application/json")
    }
}
