//! ElevenLabs Agents (Conversational AI): outbound calls through the Twilio integration, batch
//! calling, conversations and their audio, and the post-call webhooks.

mod batch;
mod client_data;
mod conversation;
mod outbound;
mod testing;
mod webhook;

pub use batch::{BatchCall, BatchJob, BatchRecipient, BatchStatus};
pub use client_data::{ClientData, ConversationOverrides};
pub use conversation::{
    CallSuccess, Conversation, ConversationAnalysis, ConversationMetadata, ConversationStatus, DataCollectionResult,
    PhoneCall, TranscriptRole, TranscriptToolCall, TranscriptTurn,
};
pub use outbound::{OutboundCall, OutboundCallStarted, RegisterCall};
pub use testing::{
    ConditionRationale, ConditionResult, EvaluationResult, SimulationTest, TestInvocation, TestRun, TestRunStatus,
};
pub use webhook::{AudioNotice, ElevenLabsWebhook, InitiationFailure};

use reqwest::header::{ACCEPT, HeaderValue};

use crate::http::{HttpClient, Resend, base_url, path_id, secret_header};
use crate::twilio::Twiml;
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret, Variables};
use outbound::OutboundCallAnswer;
use testing::{CreatedTest, RunTestsWire};

const PROVIDER: Provider = Provider::ElevenLabs;

#[derive(Debug, Clone)]
pub struct ElevenLabsConfig {
    /// `https://api.elevenlabs.io` ([`ElevenLabsConfig::DEFAULT_BASE_URL`]) or a loopback fake.
    pub base_url: String,
    pub api_key: Secret,
}

impl ElevenLabsConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.elevenlabs.io";
}

#[derive(Debug, Clone)]
pub struct ElevenLabsClient {
    http: HttpClient,
    base: String,
    api_key: HeaderValue,
}

impl ElevenLabsClient {
    pub fn new(config: ElevenLabsConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url(PROVIDER, &config.base_url)?,
            api_key: secret_header(PROVIDER, "", &config.api_key)?,
            http: HttpClient::new(PROVIDER, settings, vec![config.api_key])?,
        })
    }

    /// Lists at most one agent (`GET /v1/convai/agents?page_size=1`). That needs the Agents read
    /// permission (`convai_read`), which fetching conversations needs too, so a key restricted to
    /// other endpoints is refused here rather than later, mid-call; `/v1/user` would refuse keys
    /// without `user_read`, which Switchboard never uses.
    pub async fn check_connection(&self) -> ConnectionCheck {
        let url = format!("{}/v1/convai/agents?page_size=1", self.base);
        self.http.check(|client| self.authorize(client.get(&url))).await
    }

    /// Places a call. A `null` conversation id means it did not start (no webhook will come):
    /// that is [`ProviderError::CallNotStarted`].
    pub async fn outbound_call(&self, call: &OutboundCall) -> Result<OutboundCallStarted, ProviderError> {
        check_variables(&call.client_data.dynamic_variables)?;
        let url = format!("{}/v1/convai/twilio/outbound-call", self.base);
        let answer: OutboundCallAnswer =
            self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(call)).await?;
        match answer.conversation_id {
            Some(conversation_id) if answer.success != Some(false) => {
                Ok(OutboundCallStarted { conversation_id, call_sid: answer.call_sid })
            }
            _ => Err(ProviderError::CallNotStarted {
                provider: PROVIDER,
                reason: answer.message.unwrap_or_else(|| "no conversation id was returned".to_owned()),
            }),
        }
    }

    /// Registers a call the engine places on Twilio itself; the answer is the TwiML to place it with.
    pub async fn register_call(&self, call: &RegisterCall) -> Result<Twiml, ProviderError> {
        check_variables(&call.client_data.dynamic_variables)?;
        let url = format!("{}/v1/convai/twilio/register-call", self.base);
        let body = self.http.body(Resend::Safe, |client| self.authorize(client.post(&url)).json(call)).await?;
        let twiml = String::from_utf8(body.to_vec())
            .map_err(|_| ProviderError::Decode { provider: PROVIDER, reason: "the TwiML is not UTF-8".into() })?;
        Ok(Twiml::from_provider(twiml))
    }

    pub async fn get_conversation(&self, conversation_id: &str) -> Result<Conversation, ProviderError> {
        let url =
            format!("{}/v1/convai/conversations/{}", self.base, path_id(PROVIDER, "conversation id", conversation_id)?);
        self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await
    }

    /// The conversation's recording (MP3 bytes).
    pub async fn conversation_audio(&self, conversation_id: &str) -> Result<Vec<u8>, ProviderError> {
        let url = format!(
            "{}/v1/convai/conversations/{}/audio",
            self.base,
            path_id(PROVIDER, "conversation id", conversation_id)?
        );
        let audio = self.http.body(Resend::Safe, |client| client.get(&url).header("xi-api-key", &self.api_key)).await?;
        Ok(audio.to_vec())
    }

    pub async fn submit_batch(&self, batch: &BatchCall) -> Result<BatchJob, ProviderError> {
        for recipient in &batch.recipients {
            check_variables(&recipient.client_data.dynamic_variables)?;
        }
        let url = format!("{}/v1/convai/batch-calling/submit", self.base);
        self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(batch)).await
    }

    pub async fn get_batch(&self, batch_id: &str) -> Result<BatchJob, ProviderError> {
        let url = self.batch_url(batch_id, "")?;
        self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await
    }

    pub async fn cancel_batch(&self, batch_id: &str) -> Result<BatchJob, ProviderError> {
        let url = self.batch_url(batch_id, "/cancel")?;
        self.http.json(Resend::Safe, |client| self.authorize(client.post(&url))).await
    }

    /// Dials the batch's failed and unanswered recipients again.
    pub async fn retry_batch(&self, batch_id: &str) -> Result<BatchJob, ProviderError> {
        let url = self.batch_url(batch_id, "/retry")?;
        self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url))).await
    }

    /// Creates a simulation test (`POST /v1/convai/agent-testing/create`); its id. Not resent
    /// after a doubtful failure, which could leave a twin test behind.
    pub async fn create_simulation_test(&self, test: &SimulationTest) -> Result<String, ProviderError> {
        check_variables(&test.dynamic_variables)?;
        let url = format!("{}/v1/convai/agent-testing/create", self.base);
        let body = test.wire();
        let created: CreatedTest =
            self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(&body)).await?;
        Ok(created.id)
    }

    /// Runs tests on an agent, each `repeat_count` times (`POST
    /// /v1/convai/agents/{id}/run-tests`); the runs start `pending`. Not resent after a doubtful
    /// failure: each run is billed.
    pub async fn run_tests(
        &self,
        agent_id: &str,
        test_ids: &[String],
        repeat_count: u32,
    ) -> Result<TestInvocation, ProviderError> {
        let url = format!("{}/v1/convai/agents/{}/run-tests", self.base, path_id(PROVIDER, "agent id", agent_id)?);
        let body = RunTestsWire::new(test_ids, repeat_count);
        self.http.json(Resend::OnlyIfUnprocessed, |client| self.authorize(client.post(&url)).json(&body)).await
    }

    /// A run of tests as it stands (`GET /v1/convai/test-invocations/{id}`).
    pub async fn get_test_invocation(&self, invocation_id: &str) -> Result<TestInvocation, ProviderError> {
        let url = format!(
            "{}/v1/convai/test-invocations/{}",
            self.base,
            path_id(PROVIDER, "test invocation id", invocation_id)?
        );
        self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await
    }

    /// Deletes a test (`DELETE /v1/convai/agent-testing/{id}`); its past runs stay.
    pub async fn delete_test(&self, test_id: &str) -> Result<(), ProviderError> {
        let url = format!("{}/v1/convai/agent-testing/{}", self.base, path_id(PROVIDER, "test id", test_id)?);
        self.http.body(Resend::Safe, |client| self.authorize(client.delete(&url))).await?;
        Ok(())
    }

    fn batch_url(&self, batch_id: &str, action: &str) -> Result<String, ProviderError> {
        Ok(format!("{}/v1/convai/batch-calling/{}{action}", self.base, path_id(PROVIDER, "batch id", batch_id)?))
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header("xi-api-key", &self.api_key).header(ACCEPT, "application/json")
    }
}

fn check_variables(variables: &Variables) -> Result<(), ProviderError> {
    match client_data::reserved_name(variables) {
        Some(name) => Err(ProviderError::InvalidRequest {
            provider: PROVIDER,
            reason: format!("dynamic variable {name:?} uses the reserved system__ prefix"),
        }),
        None => Ok(()),
    }
}
