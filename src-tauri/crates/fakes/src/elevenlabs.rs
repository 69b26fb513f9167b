//! A loopback fake of the ElevenLabs Agents API (docs/providers.md#elevenlabs-agents): `POST
//! /v1/convai/twilio/outbound-call` answers `{success, message, conversation_id, callSid}`, then
//! after a delay the conversation is played with the simulator's personas and a signed
//! `post_call_transcription` webhook (and a `post_call_audio` one) is posted to the listener;
//! `GET /v1/convai/conversations/{id}` (and `/audio`) return the same conversation;
//! `GET /v1/convai/agents` lists the configured agents (the connection check). Agent tests:
//! `POST /v1/convai/agent-testing/create` keeps a test, `POST /v1/convai/agents/{id}/run-tests`
//! starts its runs `pending` and plays them after the conversation delay ([`testing`]), `GET
//! /v1/convai/test-invocations/{id}` shows them, `DELETE /v1/convai/agent-testing/{id}`. Faults:
//! latency, 429 with `Retry-After`, 500, stalls past the client's timeout, a null
//! `conversation_id`, and dropped, duplicated or reordered webhooks.

mod conversation;
mod testing;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use switchboard_core::Agent;
use switchboard_providers::Secret;
use switchboard_providers::signature::ElevenLabsWebhookKey;
use tokio::task::JoinHandle;

use super::anthropic::Responder;
use super::faults::{Fault, Faults};
use super::serving::{bind, fault_controls, serve, webhook_client};
use conversation::{Outcome, play, read_request};
use switchboard_sim::SimSettings;
use testing::{Models, read_test};

/// The fake's recording, as `audio/mpeg`: three seconds of a voice-like tone, mono MPEG-2
/// layer III at 22.05 kHz (made with LAME from a generated tone).
pub const FAKE_MP3: &[u8] = include_bytes!("../fixtures/conversation.mp3");
/// How long [`FAKE_MP3`] plays.
pub const FAKE_MP3_MS: u32 = 3000;

/// What the fake is configured with.
pub struct FakeElevenLabsSettings {
    /// The `xi-api-key` it accepts.
    pub api_key: String,
    /// The secret webhooks are signed with.
    pub webhook_secret: Secret,
    /// The agents configured on the ElevenLabs side, found by their ElevenLabs agent id.
    pub agents: Vec<Agent>,
    /// How long a call lasts before its webhooks go out.
    pub conversation_delay: Duration,
    /// The callees: the simulator's seed and cast.
    pub sim: SimSettings,
}

pub use super::faults::WebhookDelivery;

/// Which requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/convai/twilio/outbound-call`
    OutboundCall,
    /// `GET /v1/convai/conversations/{id}` and its `/audio`
    Conversation,
    /// The agent testing endpoints.
    Testing,
}

/// The fake ElevenLabs API, serving on 127.0.0.1 until dropped.
pub struct FakeElevenLabs {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    settings: FakeElevenLabsSettings,
    http: reqwest::Client,
    /// By [`Endpoint`]: outbound calls, then conversations.
    faults: Faults<3>,
    delivery: Mutex<WebhookDelivery>,
    refusal: Mutex<Option<String>>,
    /// Where post-call webhooks go (the listener's `/elevenlabs/webhook`).
    webhook_url: Mutex<Option<String>>,
    placed: Mutex<Vec<Value>>,
    conversations: Mutex<HashMap<String, Conversation>>,
    next_id: AtomicU32,
    webhooks_posted: AtomicU32,
    /// Agent tests by id, as created.
    tests: Mutex<HashMap<String, Value>>,
    /// Every test body created, as sent (deleted ones too).
    created_tests: Mutex<Vec<Value>>,
    /// Test invocations by id, as `GET /v1/convai/test-invocations/{id}` shows them.
    invocations: Mutex<HashMap<String, Value>>,
    models: Mutex<TestModels>,
}

/// The models agent tests are played with (see [`FakeElevenLabs::set_test_models`]).
#[derive(Default)]
struct TestModels {
    agent: Option<Arc<Responder>>,
    user: Option<Arc<Responder>>,
    evaluator: Option<Arc<Responder>>,
}

/// A conversation the fake holds: its final `data`, whether the call has ended yet, and the
/// webhooks it dropped.
#[derive(Clone)]
struct Conversation {
    data: Value,
    ended: bool,
    dropped: Vec<Value>,
}

impl Shared {
    fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Latency, then the first fault still pending for `endpoint`, if any.
    async fn fault(&self, endpoint: Endpoint) -> Option<Response> {
        Some(match self.faults.next(endpoint as usize).await? {
            Fault::RateLimited => {
                let body =
                    json!({"detail": {"status": "too_many_concurrent_requests", "message": "Too many requests"}});
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], axum::Json(body)).into_response()
            }
            Fault::ServerError => {
                let body = json!({"detail": {"status": "internal_error", "message": "Internal server error"}});
                (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
            }
        })
    }

    /// Latency and faults of the testing endpoints, then the key: the answer refusing the request.
    async fn refuse(&self, headers: &HeaderMap) -> Option<Response> {
        if let Some(fault) = self.fault(Endpoint::Testing).await {
            return Some(fault);
        }
        (!self.authorized(headers)).then(invalid_api_key)
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers.get("xi-api-key").and_then(|value| value.to_str().ok()) == Some(self.settings.api_key.as_str())
    }
}

impl FakeElevenLabs {
    /// Starts the fake on a free loopback port.
    pub async fn start(settings: FakeElevenLabsSettings) -> std::io::Result<Self> {
        let http = webhook_client()?;
        let shared = Arc::new(Shared {
            settings,
            http,
            faults: Faults::default(),
            delivery: Mutex::new(WebhookDelivery::default()),
            refusal: Mutex::new(None),
            webhook_url: Mutex::new(None),
            placed: Mutex::new(Vec::new()),
            conversations: Mutex::new(HashMap::new()),
            next_id: AtomicU32::new(1),
            webhooks_posted: AtomicU32::new(0),
            tests: Mutex::new(HashMap::new()),
            created_tests: Mutex::new(Vec::new()),
            invocations: Mutex::new(HashMap::new()),
            models: Mutex::new(TestModels::default()),
        });
        let router = Router::new()
            .route("/v1/convai/twilio/outbound-call", post(outbound_call))
            .route("/v1/convai/conversations/{id}", get(get_conversation))
            .route("/v1/convai/conversations/{id}/audio", get(get_audio))
            .route("/v1/convai/agents", get(list_agents))
            .route("/v1/convai/agent-testing/create", post(create_test))
            .route("/v1/convai/agent-testing/{id}", delete(delete_test))
            .route("/v1/convai/agents/{id}/run-tests", post(run_tests))
            .route("/v1/convai/test-invocations/{id}", get(get_invocation))
            .with_state(Arc::clone(&shared));
        let (listener, base_url) = bind().await?;
        let server = serve(listener, router, "ElevenLabs");
        Ok(Self { base_url, shared, server })
    }

    /// The base URL to give the client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fault_controls!();

    /// Posts webhooks to `url` (the listener's `/elevenlabs/webhook`); until then none go out.
    pub fn send_webhooks_to(&self, url: &str) {
        *Shared::lock(&self.shared.webhook_url) = Some(url.to_owned());
    }

    /// Answers outbound calls `success: false` with a null conversation id and this message
    /// (`None`: places them again).
    pub fn refuse_calls(&self, message: Option<&str>) {
        *Shared::lock(&self.shared.refusal) = message.map(str::to_owned);
    }

    /// Posts the webhooks dropped so far, late.
    pub async fn deliver_dropped(&self) {
        let dropped: Vec<Value> = Shared::lock(&self.shared.conversations)
            .values_mut()
            .flat_map(|conversation| std::mem::take(&mut conversation.dropped))
            .collect();
        for webhook in dropped {
            post_webhook(&self.shared, &webhook).await;
        }
    }

    /// Every outbound-call body received, as sent.
    pub fn placed_calls(&self) -> Vec<Value> {
        Shared::lock(&self.shared.placed).clone()
    }

    /// Plays agent tests with these models, each asked as Anthropic would be: `agent` plays
    /// every agent (its prompt and tools), `user` the simulated user (the test's scenario as its
    /// brief), `evaluator` judges each success condition ("success…" or "failure…", then why).
    pub fn set_test_models(&self, agent: Responder, user: Responder, evaluator: Responder) {
        *Shared::lock(&self.shared.models) = TestModels {
            agent: Some(Arc::new(agent)),
            user: Some(Arc::new(user)),
            evaluator: Some(Arc::new(evaluator)),
        };
    }

    /// Every agent test body received, as sent, deleted ones too.
    pub fn created_tests(&self) -> Vec<Value> {
        Shared::lock(&self.shared.created_tests).clone()
    }

    /// The agent tests that exist now, as created.
    pub fn tests(&self) -> Vec<Value> {
        Shared::lock(&self.shared.tests).values().cloned().collect()
    }

    /// How many webhooks were posted (duplicates included).
    pub fn webhooks_posted(&self) -> u32 {
        self.shared.webhooks_posted.load(Ordering::Acquire)
    }
}

impl Drop for FakeElevenLabs {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn outbound_call(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(fault) = shared.fault(Endpoint::OutboundCall).await {
        return fault;
    }
    if !shared.authorized(&headers) {
        return invalid_api_key();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return unprocessable("the body is not JSON");
    };
    Shared::lock(&shared.placed).push(body.clone());
    if let Some(message) = Shared::lock(&shared.refusal).clone() {
        let answer = json!({"success": false, "message": message, "conversation_id": null, "callSid": null});
        return axum::Json(answer).into_response();
    }
    let placed = match read_request(&body, &shared.settings.agents) {
        Ok(placed) => placed,
        Err(message) => return unprocessable(&message),
    };
    let n = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let conversation_id = format!("conv_{n:020}");
    let call_sid = format!("CA{n:032x}");
    let client_data = &body["conversation_initiation_client_data"];
    let outcome = play(&placed, &conversation_id, &call_sid, client_data, &shared.settings.sim);
    let agent_id = placed.agent.config.backend_settings.eleven_labs.agent_id.clone();
    let webhooks = match outcome {
        Outcome::Talked(data) => {
            let conversation = Conversation { data: data.clone(), ended: false, dropped: Vec::new() };
            Shared::lock(&shared.conversations).insert(conversation_id.clone(), conversation);
            let audio = json!({"type": "post_call_audio", "event_timestamp": unix_now(),
                "data": {"agent_id": agent_id, "conversation_id": conversation_id, "full_audio": BASE64.encode(FAKE_MP3)}});
            let transcription = json!({"type": "post_call_transcription", "event_timestamp": unix_now(), "data": data});
            vec![transcription, audio]
        }
        Outcome::NotStarted(reason) => {
            let data = json!({"agent_id": agent_id, "conversation_id": conversation_id, "status": "failed",
                "transcript": [], "metadata": {"termination_reason": reason, "call_duration_secs": 0}});
            let conversation = Conversation { data, ended: false, dropped: Vec::new() };
            Shared::lock(&shared.conversations).insert(conversation_id.clone(), conversation);
            vec![json!({"type": "call_initiation_failure", "event_timestamp": unix_now(),
                "data": {"agent_id": agent_id, "conversation_id": conversation_id, "failure_reason": reason,
                         "metadata": {"type": "twilio", "body": {"CallStatus": reason}}}})]
        }
    };
    tokio::spawn(end_call(Arc::clone(&shared), conversation_id.clone(), webhooks));
    let answer =
        json!({"success": true, "message": "Success", "conversation_id": conversation_id, "callSid": call_sid});
    axum::Json(answer).into_response()
}

/// Ends the call after the configured delay and posts its webhooks as the delivery mode says.
async fn end_call(shared: Arc<Shared>, conversation_id: String, webhooks: Vec<Value>) {
    tokio::time::sleep(shared.settings.conversation_delay).await;
    let delivery = *Shared::lock(&shared.delivery);
    if let Some(conversation) = Shared::lock(&shared.conversations).get_mut(&conversation_id) {
        conversation.ended = true;
        if delivery == WebhookDelivery::Dropped {
            conversation.dropped = webhooks;
            return;
        }
    }
    for webhook in delivery.order(webhooks) {
        post_webhook(&shared, &webhook).await;
    }
}

async fn post_webhook(shared: &Shared, webhook: &Value) {
    let Some(url) = Shared::lock(&shared.webhook_url).clone() else {
        tracing::warn!("the fake ElevenLabs has nowhere to post its webhook");
        return;
    };
    let body = webhook.to_string().into_bytes();
    let signature = ElevenLabsWebhookKey::new(shared.settings.webhook_secret.clone()).sign(&body, unix_now());
    let sent = shared
        .http
        .post(&url)
        .header("ElevenLabs-Signature", signature)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    shared.webhooks_posted.fetch_add(1, Ordering::AcqRel);
    match sent {
        Ok(answer) if answer.status().is_success() => {}
        Ok(answer) => tracing::warn!(status = answer.status().as_u16(), "the listener refused a fake webhook"),
        Err(error) => tracing::warn!(%error, "a fake webhook could not be posted"),
    }
}

async fn get_conversation(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match conversation(&shared, &headers, &id).await {
        Ok(Conversation { data, ended: true, .. }) => axum::Json(data).into_response(),
        Ok(Conversation { mut data, ended: false, .. }) => {
            data["status"] = json!("in-progress");
            data["transcript"] = json!([]);
            data["analysis"] = Value::Null;
            axum::Json(data).into_response()
        }
        Err(response) => response,
    }
}

async fn get_audio(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match conversation(&shared, &headers, &id).await {
        Ok(Conversation { ended: true, .. }) => ([(header::CONTENT_TYPE, "audio/mpeg")], FAKE_MP3).into_response(),
        Ok(_) => not_found("the conversation has no audio yet"),
        Err(response) => response,
    }
}

async fn conversation(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<Conversation, Response> {
    if let Some(fault) = shared.fault(Endpoint::Conversation).await {
        return Err(fault);
    }
    if !shared.authorized(headers) {
        return Err(StatusCode::UNAUTHORIZED.into_response());
    }
    Shared::lock(&shared.conversations).get(id).cloned().ok_or_else(|| not_found("conversation not found"))
}

/// One page of the configured agents, `page_size` (default 30, at most 100) at a time.
async fn list_agents(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !shared.authorized(&headers) {
        return invalid_api_key();
    }
    let page_size = query.get("page_size").and_then(|size| size.parse::<usize>().ok()).unwrap_or(30).clamp(1, 100);
    let agents = &shared.settings.agents;
    let page: Vec<Value> = agents
        .iter()
        .take(page_size)
        .map(|agent| {
            json!({"agent_id": agent.config.backend_settings.eleven_labs.agent_id, "name": agent.config.name,
                   "tags": [], "created_at_unix_secs": 0,
                   "access_info": {"is_creator": true, "creator_name": "Switchboard", "creator_email": "", "role": "admin"}})
        })
        .collect();
    let has_more = agents.len() > page_size;
    axum::Json(json!({"agents": page, "next_cursor": null, "has_more": has_more})).into_response()
}

async fn create_test(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = shared.refuse(&headers).await {
        return refused;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return unprocessable("the body is not JSON");
    };
    if let Err(message) = read_test(&body) {
        return unprocessable(&message);
    }
    let id = format!("test_{:020}", shared.next_id.fetch_add(1, Ordering::AcqRel));
    Shared::lock(&shared.created_tests).push(body.clone());
    Shared::lock(&shared.tests).insert(id.clone(), body);
    axum::Json(json!({"id": id})).into_response()
}

async fn delete_test(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(refused) = shared.refuse(&headers).await {
        return refused;
    }
    match Shared::lock(&shared.tests).remove(&id) {
        Some(_) => axum::Json(json!({})).into_response(),
        None => not_found("test not found"),
    }
}

/// Starts the runs `pending`; they are played after the conversation delay.
async fn run_tests(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refused) = shared.refuse(&headers).await {
        return refused;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return unprocessable("the body is not JSON");
    };
    if !shared.settings.agents.iter().any(|agent| agent.config.backend_settings.eleven_labs.agent_id == agent_id) {
        return not_found(&format!("agent {agent_id} not found"));
    }
    let test_ids: Vec<&str> = body["tests"]
        .as_array()
        .map(|tests| tests.iter().filter_map(|test| test["test_id"].as_str()).collect())
        .unwrap_or_default();
    if test_ids.is_empty() {
        return unprocessable("tests must name at least one test_id");
    }
    if let Some(unknown) = test_ids.iter().find(|id| !Shared::lock(&shared.tests).contains_key(**id)) {
        return not_found(&format!("test {unknown} not found"));
    }
    let repeat = body["repeat_count"].as_u64().unwrap_or(1).max(1);
    let n = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let invocation_id = format!("inv_{n:020}");
    let runs: Vec<Value> = (0..repeat)
        .flat_map(|_| test_ids.iter())
        .enumerate()
        .map(|(k, test_id)| {
            json!({"test_run_id": format!("run_{n:010}_{k}"), "test_id": test_id,
                   "test_invocation_id": invocation_id, "agent_id": agent_id, "status": "pending",
                   "agent_responses": null, "condition_result": null, "test_info": {"type": "simulation"}})
        })
        .collect();
    let invocation = json!({"id": invocation_id, "agent_id": agent_id, "created_at": unix_now(),
        "repeat_count": body["repeat_count"], "test_runs": runs});
    Shared::lock(&shared.invocations).insert(invocation_id.clone(), invocation.clone());
    tokio::spawn(play_runs(Arc::clone(&shared), invocation_id));
    axum::Json(invocation).into_response()
}

/// Plays an invocation's runs once the conversation delay has passed.
async fn play_runs(shared: Arc<Shared>, invocation_id: String) {
    tokio::time::sleep(shared.settings.conversation_delay).await;
    let Some(mut invocation) = Shared::lock(&shared.invocations).get(&invocation_id).cloned() else { return };
    let agent_id = invocation["agent_id"].as_str().unwrap_or_default().to_owned();
    let Some(agent) =
        shared.settings.agents.iter().find(|agent| agent.config.backend_settings.eleven_labs.agent_id == agent_id)
    else {
        return;
    };
    let (agent_model, user_model, evaluator) = {
        let models = Shared::lock(&shared.models);
        (models.agent.clone(), models.user.clone(), models.evaluator.clone())
    };
    let models = Models { agent: agent_model.as_deref(), user: user_model.as_deref(), evaluator: evaluator.as_deref() };
    let tests = Shared::lock(&shared.tests).clone();
    for run in invocation["test_runs"].as_array_mut().into_iter().flatten() {
        let test = run["test_id"].as_str().and_then(|id| tests.get(id)).cloned().unwrap_or_default();
        let played = testing::run(agent, &test, &models);
        for key in ["status", "agent_responses", "condition_result"] {
            run[key] = played[key].clone();
        }
        run["test_name"] = test["name"].clone();
        run["last_updated_at_unix"] = json!(unix_now());
    }
    Shared::lock(&shared.invocations).insert(invocation_id, invocation);
}

async fn get_invocation(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(refused) = shared.refuse(&headers).await {
        return refused;
    }
    match Shared::lock(&shared.invocations).get(&id).cloned() {
        Some(invocation) => axum::Json(invocation).into_response(),
        None => not_found("test invocation not found"),
    }
}

fn invalid_api_key() -> Response {
    let body = json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}});
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

fn unprocessable(message: &str) -> Response {
    let body = json!({"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]});
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

fn not_found(message: &str) -> Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({"detail": {"status": "not_found", "message": message}}))).into_response()
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}
