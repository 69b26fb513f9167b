//! A loopback fake of the Ultravox API (docs/providers.md#ultravox): agents (`POST /api/agents`, `PATCH` and
//! `DELETE /api/agents/{id}`), agent calls (`POST /api/agents/{id}/calls` answers a `joinUrl`
//! on this fake), `GET /api/calls/{id}` and its paged `/messages`. When the Twilio fake joins a
//! call's stream, the call is played with the simulator's personas (the callee is whoever the
//! Twilio fake dialled): `call.joined`, then after a delay (or when Twilio drops the stream)
//! the call ends and `call.ended` is posted, signed as the engine verifies
//! (`X-Ultravox-Webhook-Signature` over body + timestamp). An agent whose template has the
//! `record_field` tool records each value the callee gives as a tool call. Faults: latency, 429,
//! 500, stalls, and dropped or duplicated webhooks.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};
use switchboard_core::{Agent, Speaker, render};
use switchboard_providers::Secret;
use switchboard_providers::signature::{ULTRAVOX_SIGNATURE_HEADER, ULTRAVOX_TIMESTAMP_HEADER, UltravoxWebhookKey};
use tokio::task::JoinHandle;

use super::callee::{Placed, Played, play_reached};
pub use super::faults::WebhookDelivery;
use super::faults::{Fault, Faults};
use super::serving::{bind, fault_controls, serve, webhook_client};
use super::twilio::CallDirectory;
use switchboard_sim::SimSettings;
use switchboard_sim::persona::Reach;

/// What the fake is configured with.
pub struct FakeUltravoxSettings {
    /// The `X-API-Key` it accepts.
    pub api_key: String,
    pub webhook_secret: Secret,
    /// The local agents behind the Ultravox ones (matched by system prompt), for their data
    /// fields and purpose.
    pub agents: Vec<Agent>,
    /// How long a joined call lasts before the agent hangs up.
    pub conversation_delay: Duration,
    pub sim: SimSettings,
}

/// The last webhook of a call.
const LAST_EVENT: &str = "call.billed";

/// Which requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Agents = 0,
    /// Creating calls.
    Calls = 1,
    /// `GET` a call or its messages.
    CallRecord = 2,
}

/// The fake Ultravox, serving on 127.0.0.1 until dropped.
pub struct FakeUltravox {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    settings: FakeUltravoxSettings,
    base_url: String,
    directory: CallDirectory,
    http: reqwest::Client,
    faults: Faults<3>,
    delivery: Mutex<WebhookDelivery>,
    webhook_url: Mutex<Option<String>>,
    agents: Mutex<BTreeMap<String, Value>>,
    agent_calls: Mutex<Vec<Value>>,
    calls: Mutex<HashMap<String, Call>>,
    next_id: AtomicU32,
}

#[derive(Clone)]
struct Call {
    record: Value,
    agent: Value,
    template_context: BTreeMap<String, String>,
    messages: Vec<Value>,
    /// Webhooks held back to be posted at the end, reordered.
    held: Vec<Value>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeUltravox {
    /// Starts the fake; `directory` says who the Twilio fake dialled for each Call SID.
    pub async fn start(settings: FakeUltravoxSettings, directory: CallDirectory) -> std::io::Result<Self> {
        let http = webhook_client()?;
        let (listener, base_url) = bind().await?;
        let shared = Arc::new(Shared {
            settings,
            base_url: base_url.clone(),
            directory,
            http,
            faults: Faults::default(),
            delivery: Mutex::default(),
            webhook_url: Mutex::default(),
            agents: Mutex::default(),
            agent_calls: Mutex::default(),
            calls: Mutex::default(),
            next_id: AtomicU32::new(1),
        });
        let router = Router::new()
            .route("/api/agents", post(create_agent))
            .route("/api/agents/{id}", patch(update_agent).delete(delete_agent))
            .route("/api/agents/{id}/calls", post(create_call))
            .route("/api/calls/{id}", get(get_call))
            .route("/api/calls/{id}/messages", get(get_messages))
            .route("/calls/{id}/telephony", get(telephony))
            .with_state(Arc::clone(&shared));
        let server = serve(listener, router, "Ultravox");
        Ok(Self { base_url, shared, server })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Posts webhooks to `url` (the listener's `/ultravox/events`); until then none go out.
    pub fn send_webhooks_to(&self, url: &str) {
        *lock(&self.shared.webhook_url) = Some(url.to_owned());
    }

    fault_controls!();

    /// The agents Ultravox holds now, by agent id.
    pub fn agents(&self) -> BTreeMap<String, Value> {
        lock(&self.shared.agents).clone()
    }

    /// Every agent-call body received.
    pub fn agent_calls(&self) -> Vec<Value> {
        lock(&self.shared.agent_calls).clone()
    }
}

impl Drop for FakeUltravox {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, axum::Json(json!({"detail": detail}))).into_response()
}

async fn admit(shared: &Shared, endpoint: Endpoint, headers: &HeaderMap) -> Option<Response> {
    match shared.faults.next(endpoint as usize).await {
        Some(Fault::RateLimited) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Request was throttled.");
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return Some(response);
        }
        Some(Fault::ServerError) => return Some(error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")),
        None => {}
    }
    let key = headers.get("x-api-key").and_then(|value| value.to_str().ok());
    (key != Some(shared.settings.api_key.as_str()))
        .then(|| error(StatusCode::FORBIDDEN, "Authentication credentials were not provided."))
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn agent_json(id: &str, body: &Value) -> Value {
    json!({"agentId": id, "publishedRevisionId": format!("rev-{id}"), "name": body["name"],
           "created": now(), "callTemplate": body["callTemplate"], "statistics": {"calls": 0}})
}

async fn create_agent(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = admit(&shared, Endpoint::Agents, &headers).await {
        return refusal;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return error(StatusCode::BAD_REQUEST, "not JSON") };
    if body["name"].as_str().is_none_or(str::is_empty) || !body["callTemplate"].is_object() {
        return error(StatusCode::BAD_REQUEST, "name and callTemplate are required");
    }
    let n = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let id = format!("3c90c3cc-0d44-4b50-8888-{n:012}");
    let agent = agent_json(&id, &body);
    lock(&shared.agents).insert(id, agent.clone());
    (StatusCode::CREATED, axum::Json(agent)).into_response()
}

async fn update_agent(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = admit(&shared, Endpoint::Agents, &headers).await {
        return refusal;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return error(StatusCode::BAD_REQUEST, "not JSON") };
    let mut agents = lock(&shared.agents);
    match agents.get_mut(&id) {
        Some(agent) => {
            *agent = agent_json(&id, &body);
            axum::Json(agent.clone()).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "Not found."),
    }
}

async fn delete_agent(State(shared): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(refusal) = admit(&shared, Endpoint::Agents, &headers).await {
        return refusal;
    }
    match lock(&shared.agents).remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found."),
    }
}

async fn create_call(
    State(shared): State<Arc<Shared>>,
    Path(agent_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = admit(&shared, Endpoint::Calls, &headers).await {
        return refusal;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return error(StatusCode::BAD_REQUEST, "not JSON") };
    lock(&shared.agent_calls).push(body.clone());
    let Some(agent) = lock(&shared.agents).get(&agent_id).cloned() else {
        return error(StatusCode::NOT_FOUND, "Not found.");
    };
    if body["medium"] != json!({"twilio": {}}) {
        return error(StatusCode::BAD_REQUEST, "this fake bridges calls through Twilio only");
    }
    let template_context = body["templateContext"]
        .as_object()
        .map(|context| {
            context
                .iter()
                .map(|(name, value)| (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    let n = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let call_id = format!("5f0c3a52-9a1d-4c1e-9e3b-{n:012}");
    let join_url = format!("{}/calls/{call_id}/telephony", shared.base_url.replacen("http://", "ws://", 1));
    let record = json!({"callId": call_id, "joinUrl": join_url, "created": now(), "joined": null, "ended": null,
        "endReason": null, "shortSummary": null, "summary": null, "agentId": agent_id,
        "maxDuration": body["maxDuration"], "metadata": body["metadata"], "medium": body["medium"]});
    let call = Call { record: record.clone(), agent, template_context, messages: Vec::new(), held: Vec::new() };
    lock(&shared.calls).insert(call_id.clone(), call);
    tokio::spawn(post_webhook(Arc::clone(&shared), "call.started", call_id));
    (StatusCode::CREATED, axum::Json(record)).into_response()
}

async fn call_of(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<Call, Response> {
    if let Some(refusal) = admit(shared, Endpoint::CallRecord, headers).await {
        return Err(refusal);
    }
    lock(&shared.calls).get(id).cloned().ok_or_else(|| error(StatusCode::NOT_FOUND, "Not found."))
}

async fn get_call(State(shared): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match call_of(&shared, &headers, &id).await {
        Ok(call) => axum::Json(call.record).into_response(),
        Err(response) => response,
    }
}

async fn get_messages(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let call = match call_of(&shared, &headers, &id).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let size = query.get("pageSize").and_then(|size| size.parse::<usize>().ok()).unwrap_or(100).clamp(1, 100);
    let from = query.get("cursor").and_then(|cursor| cursor.parse::<usize>().ok()).unwrap_or(0);
    let page: Vec<Value> = call.messages.iter().skip(from).take(size).cloned().collect();
    let next = (from + size < call.messages.len())
        .then(|| format!("{}/api/calls/{id}/messages?cursor={}&pageSize={size}", shared.base_url, from + size));
    axum::Json(json!({"results": page, "next": next, "previous": null, "total": call.messages.len()})).into_response()
}

async fn telephony(State(shared): State<Arc<Shared>>, Path(id): Path<String>, upgrade: WebSocketUpgrade) -> Response {
    if !lock(&shared.calls).contains_key(&id) {
        return error(StatusCode::NOT_FOUND, "Not found.");
    }
    upgrade.on_upgrade(move |socket| run_call(shared, id, socket))
}

/// The joined call: who is on it (from Twilio's `start`), the conversation, and its end.
async fn run_call(shared: Arc<Shared>, id: String, mut socket: WebSocket) {
    let mut call_sid = None;
    while call_sid.is_none() {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => {
                let event: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                if event["event"] == "start" {
                    call_sid = event["start"]["callSid"].as_str().map(str::to_owned);
                }
            }
            Some(Ok(_)) => {}
            _ => return,
        }
    }
    let Some(dialled) = call_sid.and_then(|sid| shared.directory.get(&sid)) else { return };
    let Some(call) = lock(&shared.calls).get(&id).cloned() else { return };
    if let Some(stored) = lock(&shared.calls).get_mut(&id) {
        stored.record["joined"] = json!(now());
    }
    tokio::spawn(post_webhook(Arc::clone(&shared), "call.joined", id.clone()));
    // The agent hangs up after the conversation; Twilio dropping the stream ends it sooner.
    let hung_up = tokio::time::timeout(shared.settings.conversation_delay, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await
    .is_ok();
    let messages = conversation(&shared.settings, &call, &dialled.to, dialled.reach, hung_up);
    let end_reason = if hung_up { "hangup" } else { "agent_hangup" };
    if let Some(stored) = lock(&shared.calls).get_mut(&id) {
        stored.record["ended"] = json!(now());
        stored.record["endReason"] = json!(end_reason);
        stored.messages = messages;
    }
    // The call is over on Ultravox's side before Twilio sees the stream close.
    if !hung_up {
        let _ = socket.send(Message::Close(None)).await;
    }
    post_webhook(Arc::clone(&shared), "call.ended", id.clone()).await;
    post_webhook(shared, LAST_EVENT, id).await;
}

/// The call's messages: the simulator's script for the local agent behind the Ultravox one,
/// cut short after the first line when the callee hung up.
fn conversation(settings: &FakeUltravoxSettings, call: &Call, to: &str, reach: Reach, hung_up: bool) -> Vec<Value> {
    let template = &call.agent["callTemplate"];
    let prompt = template["systemPrompt"].as_str().unwrap_or_default();
    let Some(agent) = settings.agents.iter().find(|agent| agent.config.system_prompt == prompt) else {
        tracing::warn!("the fake Ultravox knows no local agent with this prompt");
        return Vec::new();
    };
    let variables = &call.template_context;
    let fill = |text: &str| render(text, variables).unwrap_or_else(|_| text.to_owned());
    let first_message = template["firstSpeakerSettings"]["agent"]["text"].as_str().map(fill).unwrap_or_default();
    let placed = Placed {
        agent: agent.clone(),
        to: to.to_owned(),
        variables: variables.clone(),
        first_message,
        prompt: fill(prompt),
    };
    let records_fields = template["selectedTools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|tool| tool["temporaryTool"]["modelToolName"] == "record_field"));
    let Played::Talked(talk) = play_reached(&placed, reach, &settings.sim) else { return Vec::new() };
    let turns = if hung_up { &talk.turns[..talk.turns.len().min(1)] } else { &talk.turns[..] };
    let mut messages = Vec::new();
    for (index, turn) in turns.iter().enumerate() {
        let role = if turn.speaker == Speaker::Agent { "MESSAGE_ROLE_AGENT" } else { "MESSAGE_ROLE_USER" };
        let ends = turn.starts + switchboard_sim::speaking_time(&turn.text);
        messages.push(json!({"role": role, "text": turn.text, "medium": "MESSAGE_MEDIUM_VOICE",
            "callStageMessageIndex": messages.len(), "callStageId": "stage-1",
            "timespan": {"start": format!("{:.3}s", turn.starts.as_secs_f64()), "end": format!("{:.3}s", ends.as_secs_f64())}}));
        let given = turn.gives.as_ref().filter(|_| records_fields);
        if let Some((key, value)) = given.and_then(|key| Some((key, talk.collected.get(key)?))) {
            let invocation = format!("inv-{index}");
            let arguments = json!({"key": key, "value": value}).to_string();
            messages
                .push(json!({"role": "MESSAGE_ROLE_TOOL_CALL", "toolName": "record_field", "invocationId": invocation,
                "text": arguments, "medium": "MESSAGE_MEDIUM_VOICE", "callStageMessageIndex": messages.len()}));
            messages.push(
                json!({"role": "MESSAGE_ROLE_TOOL_RESULT", "toolName": "record_field", "invocationId": invocation,
                "text": "Recorded.", "medium": "MESSAGE_MEDIUM_VOICE", "callStageMessageIndex": messages.len()}),
            );
        }
    }
    messages
}

async fn post_webhook(shared: Arc<Shared>, event: &'static str, call_id: String) {
    let delivery = *lock(&shared.delivery);
    if delivery == WebhookDelivery::Dropped {
        return;
    }
    let webhooks = {
        let mut calls = lock(&shared.calls);
        let Some(call) = calls.get_mut(&call_id) else { return };
        call.held.push(json!({"event": event, "call": call.record}));
        match delivery {
            // Live webhooks go out as they happen; reordered ones wait for the call's last.
            WebhookDelivery::InOrder | WebhookDelivery::Duplicated => std::mem::take(&mut call.held),
            WebhookDelivery::Reordered if event == LAST_EVENT => std::mem::take(&mut call.held),
            WebhookDelivery::Reordered | WebhookDelivery::Dropped => return,
        }
    };
    for webhook in delivery.order(webhooks) {
        send_webhook(&shared, &webhook).await;
    }
}

/// Posts one signed webhook to the listener.
async fn send_webhook(shared: &Shared, webhook: &Value) {
    let Some(url) = lock(&shared.webhook_url).clone() else { return };
    let body = webhook.to_string().into_bytes();
    let timestamp = now();
    let signature = UltravoxWebhookKey::new(shared.settings.webhook_secret.clone()).sign(&body, &timestamp);
    let sent = shared
        .http
        .post(&url)
        .header(ULTRAVOX_SIGNATURE_HEADER, signature)
        .header(ULTRAVOX_TIMESTAMP_HEADER, timestamp)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(answer) if answer.status().is_success() => {}
        Ok(answer) => tracing::warn!(status = answer.status().as_u16(), "the listener refused a fake Ultravox webhook"),
        Err(error) => tracing::warn!(%error, "a fake Ultravox webhook could not be posted"),
    }
}
