//! A loopback fake of Vapi (docs/providers.md#vapi): `POST /call` answers 201 with the queued Call,
//! the call is played with the simulator's personas, and its server messages go to the
//! listener wrapped `{"message": {…}}` with the `X-Vapi-Secret` header: `status-update`s
//! (ringing, in-progress, ended) as the call goes, then the `end-of-call-report` (transcript,
//! structured data, cost, recording URL). `GET /call/{id}` returns the same call, and the
//! recording URL serves the call's WAV (a storage link: no key). A live call's
//! `monitor.controlUrl` takes live control messages, kept for the test (no key, as Vapi's default).
//! `POST /chat` takes one text turn with an assistant (chained by `previousChatId`), answered
//! by the assistant's model, a [`Responder`] the test sets. Every API request needs
//! `Authorization: Bearer <key>` (401 otherwise). Faults: latency, 429 with `Retry-After`, 500,
//! stalls past the client's timeout, refused calls, and dropped, duplicated or reordered
//! server messages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use switchboard_core::{Agent, Speaker, render};
use switchboard_providers::Secret;
use switchboard_providers::signature::VAPI_SECRET_HEADER;
use tokio::task::JoinHandle;

use super::anthropic::Responder;
use super::callee::{Placed, Played, Talk, play, text_variables};
use super::chat_model::{Line, ask};
use super::faults::{Fault, Faults};
use super::serving::{bind, fault_controls, serve, webhook_client};
use switchboard_sim::SimSettings;

pub use super::faults::WebhookDelivery;

/// What the fake is configured with.
pub struct FakeVapiSettings {
    /// The private key it accepts as `Authorization: Bearer …`.
    pub api_key: String,
    /// The secret of the server URL, sent as `X-Vapi-Secret`.
    pub server_secret: Secret,
    /// The assistants configured on the Vapi side: agents found by their Vapi assistant id.
    pub agents: Vec<Agent>,
    /// How long a call lasts before its end-of-call report goes out (see [`FakeVapi::set_call_delay`]).
    pub call_delay: Duration,
    /// The callees: the simulator's seed and cast.
    pub sim: SimSettings,
}

/// Which requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /call`
    CreateCall,
    /// `GET /call/{id}`
    GetCall,
    /// The recording's URL.
    Recording,
    /// `POST /chat`
    Chat,
}

/// The fake Vapi API, serving on 127.0.0.1 until dropped.
pub struct FakeVapi {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    settings: FakeVapiSettings,
    base_url: String,
    http: reqwest::Client,
    /// By [`Endpoint`].
    faults: Faults<4>,
    call_delay_ms: AtomicU64,
    delivery: Mutex<WebhookDelivery>,
    refusal: Mutex<Option<String>>,
    /// Where server messages go (the listener's `/vapi/events`).
    server_url: Mutex<Option<String>>,
    placed: Mutex<Vec<Value>>,
    calls: Mutex<HashMap<String, Call>>,
    next_id: AtomicU32,
    messages_posted: AtomicU32,
    /// Live control messages received: the call id and the message.
    controls: Mutex<Vec<(String, Value)>>,
    /// The model behind every assistant's chats.
    chat_model: Mutex<Option<Arc<Responder>>>,
    chats: Mutex<HashMap<String, Chat>>,
    /// Every `POST /chat` body received, as sent.
    chat_requests: Mutex<Vec<Value>>,
}

/// A chat turn the fake holds: whose assistant, its variables, and the conversation up to and
/// including its answer (the next turn's context).
#[derive(Clone)]
struct Chat {
    assistant_id: String,
    variables: Value,
    lines: Vec<Line>,
}

/// A call the fake holds: the Call as `GET /call/{id}` shows it once ended, whether it has,
/// its recording, and the messages it dropped.
#[derive(Clone)]
struct Call {
    ended_call: Value,
    ended: bool,
    recording: Option<Arc<Vec<u8>>>,
    dropped: Vec<Value>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Latency, then the first fault still pending for `endpoint`, in Vapi's error shape.
    async fn fault(&self, endpoint: Endpoint) -> Option<Response> {
        Some(match self.faults.next(endpoint as usize).await? {
            Fault::RateLimited => {
                let body = error_body(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], body).into_response()
            }
            Fault::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_body(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
            )
                .into_response(),
        })
    }

    /// The 401 to answer when the request does not carry the key.
    fn unauthorized(&self, headers: &HeaderMap) -> Option<Response> {
        let bearer = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        if bearer.and_then(|value| value.strip_prefix("Bearer ")) == Some(self.settings.api_key.as_str()) {
            return None;
        }
        let message =
            "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.";
        Some((StatusCode::UNAUTHORIZED, error_body(StatusCode::UNAUTHORIZED, message)).into_response())
    }
}

impl FakeVapi {
    /// Starts the fake on a free loopback port.
    pub async fn start(settings: FakeVapiSettings) -> std::io::Result<Self> {
        let http = webhook_client()?;
        let (listener, base_url) = bind().await?;
        let shared = Arc::new(Shared {
            base_url: base_url.clone(),
            http,
            faults: Faults::default(),
            call_delay_ms: AtomicU64::new(millis(settings.call_delay)),
            delivery: Mutex::new(WebhookDelivery::default()),
            refusal: Mutex::new(None),
            server_url: Mutex::new(None),
            placed: Mutex::new(Vec::new()),
            calls: Mutex::new(HashMap::new()),
            next_id: AtomicU32::new(1),
            messages_posted: AtomicU32::new(0),
            controls: Mutex::new(Vec::new()),
            chat_model: Mutex::new(None),
            chats: Mutex::new(HashMap::new()),
            chat_requests: Mutex::new(Vec::new()),
            settings,
        });
        let router = Router::new()
            .route("/call", post(create_call))
            .route("/call/{id}", get(get_call))
            .route("/live/{id}/control", post(control_call))
            .route("/recordings/{file}", get(get_recording))
            .route("/chat", post(create_chat))
            .with_state(Arc::clone(&shared));
        let server = serve(listener, router, "Vapi");
        Ok(Self { base_url, shared, server })
    }

    /// The base URL to give the client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fault_controls!();

    /// Posts server messages to `url` (the listener's `/vapi/events`); until then none go out.
    pub fn send_messages_to(&self, url: &str) {
        *lock(&self.shared.server_url) = Some(url.to_owned());
    }

    /// Makes calls placed from now on last `delay` before they end.
    pub fn set_call_delay(&self, delay: Duration) {
        self.shared.call_delay_ms.store(millis(delay), Ordering::Relaxed);
    }

    /// Answers `POST /call` 400 with this message, as Vapi refuses a call it cannot place
    /// (`None`: places them again).
    pub fn refuse_calls(&self, message: Option<&str>) {
        *lock(&self.shared.refusal) = message.map(str::to_owned);
    }

    /// Posts the server messages dropped so far, late.
    pub async fn deliver_dropped(&self) {
        let dropped: Vec<Value> =
            lock(&self.shared.calls).values_mut().flat_map(|call| std::mem::take(&mut call.dropped)).collect();
        for message in dropped {
            post_message(&self.shared, &message).await;
        }
    }

    /// Every `POST /call` body received, as sent.
    pub fn placed_calls(&self) -> Vec<Value> {
        lock(&self.shared.placed).clone()
    }

    /// Every live control message received on a call's `monitor.controlUrl`: the call id and
    /// the message, in order.
    pub fn controls(&self) -> Vec<(String, Value)> {
        lock(&self.shared.controls).clone()
    }

    /// Answers chats with `model`, playing every assistant (it is asked as Anthropic would be,
    /// with the assistant's prompt and tools).
    pub fn set_chat_model(&self, model: Responder) {
        *lock(&self.shared.chat_model) = Some(Arc::new(model));
    }

    /// Every `POST /chat` body received, as sent.
    pub fn chat_requests(&self) -> Vec<Value> {
        lock(&self.shared.chat_requests).clone()
    }

    /// How many server messages were posted (duplicates included).
    pub fn messages_posted(&self) -> u32 {
        self.shared.messages_posted.load(Ordering::Acquire)
    }
}

impl Drop for FakeVapi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The fields `POST /call` takes from us; Vapi refuses any other (its validation whitelists).
const CALL_FIELDS: [&str; 4] = ["assistantId", "phoneNumberId", "customer", "assistantOverrides"];

async fn create_call(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(fault) = shared.fault(Endpoint::CreateCall).await {
        return fault;
    }
    if let Some(refused) = shared.unauthorized(&headers) {
        return refused;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("Unexpected token in JSON");
    };
    lock(&shared.placed).push(body.clone());
    if let Some(message) = lock(&shared.refusal).clone() {
        return bad_request(&message);
    }
    let placed = match read_request(&body, &shared.settings.agents) {
        Ok(placed) => placed,
        Err(message) => return bad_request(&message),
    };
    let n = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let id = format!("{n:08x}-5a9e-4c11-8d0f-{n:012x}");
    let created = iso(SystemTime::now());
    let call = json!({
        "id": id, "orgId": "org-switchboard-fake", "type": "outboundPhoneCall", "status": "queued",
        "assistantId": body["assistantId"], "phoneNumberId": body["phoneNumberId"], "customer": body["customer"],
        "assistantOverrides": body["assistantOverrides"], "createdAt": created, "updatedAt": created,
    });
    let played = play(&placed, &shared.settings.sim);
    let ended = ended_call(&shared, &call, &placed, &played);
    let recording = match &played {
        Played::Talked(talk) => talk.recording().ok().map(|(wav, _)| Arc::new(wav)),
        Played::Busy | Played::NoAnswer => None,
    };
    lock(&shared.calls).insert(id.clone(), Call { ended_call: ended, ended: false, recording, dropped: Vec::new() });
    tokio::spawn(run_call(Arc::clone(&shared), id, matches!(played, Played::Talked(_))));
    (StatusCode::CREATED, axum::Json(call)).into_response()
}

/// Reads a `POST /call` body; the error is the message for a 400.
fn read_request(body: &Value, agents: &[Agent]) -> Result<Placed, String> {
    let Some(fields) = body.as_object() else { return Err("the body must be an object".into()) };
    if let Some(unknown) = fields.keys().find(|key| !CALL_FIELDS.contains(&key.as_str())) {
        return Err(format!("property {unknown} should not exist"));
    }
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let assistant_id = text(&body["assistantId"]).ok_or("assistantId must be a string")?;
    text(&body["phoneNumberId"]).ok_or("phoneNumberId must be a string")?;
    let to = text(&body["customer"]["number"]).ok_or("customer.number must be a string")?;
    let agent = agents
        .iter()
        .find(|agent| agent.config.backend_settings.vapi.assistant_id == assistant_id)
        .ok_or_else(|| format!("Couldn't Get Assistant. `assistantId` {assistant_id} Does Not Exist."))?
        .clone();
    let overrides = &body["assistantOverrides"];
    let variables = text_variables(&overrides["variableValues"]);
    let first_message = text(&overrides["firstMessage"]).unwrap_or_else(|| agent.config.first_message.clone());
    // Vapi fills the assistant's `{{placeholders}}` with the variable values.
    let prompt = render(&agent.config.system_prompt, &variables).unwrap_or_else(|_| agent.config.system_prompt.clone());
    Ok(Placed { agent, to, variables, first_message, prompt })
}

/// The Call once it has ended, with everything the end-of-call report says.
fn ended_call(shared: &Shared, call: &Value, placed: &Placed, played: &Played) -> Value {
    let mut ended = call.clone();
    let ring = Duration::from_secs(3);
    let started = SystemTime::now();
    let (reason, duration, artifact, analysis) = match played {
        Played::Busy => ("customer-busy", Duration::ZERO, json!({"messages": []}), json!({})),
        Played::NoAnswer => ("customer-did-not-answer", ring * 10, json!({"messages": []}), json!({})),
        Played::Talked(talk) => {
            let reason = if talk.voicemail { "voicemail" } else { "assistant-ended-call" };
            let recording_url = format!("{}/recordings/{}.wav", shared.base_url, call["id"].as_str().unwrap_or(""));
            (reason, talk.duration, artifact(placed, talk, started, recording_url), analysis(talk))
        }
    };
    let ended_at = started + duration;
    let cost = 0.05 + 0.1 * duration.as_secs_f64() / 60.0;
    for (key, value) in [
        ("status", json!("ended")),
        ("endedReason", json!(reason)),
        ("startedAt", json!(iso(started))),
        ("endedAt", json!(iso(ended_at))),
        ("updatedAt", json!(iso(ended_at))),
        ("cost", json!((cost * 10_000.0).round() / 10_000.0)),
        ("artifact", artifact),
        ("analysis", analysis),
    ] {
        ended[key] = value;
    }
    ended
}

/// The call's messages (the system prompt first), its transcript and its recording URL.
fn artifact(placed: &Placed, talk: &Talk, started: SystemTime, recording_url: String) -> Value {
    let mut messages = vec![json!({"role": "system", "message": placed.prompt, "time": unix_ms(started),
        "secondsFromStart": 0})];
    let mut transcript = String::new();
    for turn in &talk.turns {
        let (role, label) = if turn.speaker == Speaker::Agent { ("bot", "AI") } else { ("user", "User") };
        let seconds = turn.starts.as_secs_f64();
        let time = unix_ms(started + turn.starts);
        messages.push(json!({"role": role, "message": turn.text, "time": time,
            "endTime": time + u64::try_from(switchboard_sim::speaking_time(&turn.text).as_millis()).unwrap_or(0),
            "secondsFromStart": seconds}));
        transcript.push_str(&format!("{label}: {}\n", turn.text));
    }
    json!({"messages": messages, "transcript": transcript, "recordingUrl": recording_url})
}

fn analysis(talk: &Talk) -> Value {
    json!({"summary": talk.ending, "structuredData": talk.collected, "successEvaluation": (!talk.voicemail).to_string()})
}

/// Plays the call's server messages: ringing and in-progress as it goes, then the ended status
/// and the end-of-call report, posted as the delivery mode says.
async fn run_call(shared: Arc<Shared>, id: String, answered: bool) {
    let call_delay = Duration::from_millis(shared.call_delay_ms.load(Ordering::Relaxed));
    let step = call_delay / 3;
    let Some(ended) = lock(&shared.calls).get(&id).map(|call| call.ended_call.clone()) else { return };
    let call =
        json!({"id": id, "type": "outboundPhoneCall", "orgId": ended["orgId"], "assistantId": ended["assistantId"]});
    let status = |status: &str| {
        let mut message =
            json!({"type": "status-update", "status": status, "call": call, "timestamp": unix_ms(SystemTime::now())});
        if status == "ended" {
            message["endedReason"] = ended["endedReason"].clone();
        }
        message
    };
    let mut happened = vec![status("ringing")];
    if answered {
        happened.push(status("in-progress"));
    }
    let delivery = *lock(&shared.delivery);
    if matches!(delivery, WebhookDelivery::InOrder | WebhookDelivery::Duplicated) {
        // Live updates go out as they happen; the rest wait for the end.
        for message in std::mem::take(&mut happened) {
            tokio::time::sleep(step).await;
            for message in delivery.order(vec![message]) {
                post_message(&shared, &message).await;
            }
        }
    }
    tokio::time::sleep(call_delay.saturating_sub(step * 2)).await;
    happened.push(status("ended"));
    let mut report = json!({"type": "end-of-call-report", "call": call, "timestamp": unix_ms(SystemTime::now())});
    for key in ["endedReason", "startedAt", "endedAt", "cost", "artifact", "analysis"] {
        report[key] = ended[key].clone();
    }
    happened.push(report);
    if let Some(call) = lock(&shared.calls).get_mut(&id) {
        call.ended = true;
        if delivery == WebhookDelivery::Dropped {
            call.dropped = happened;
            return;
        }
    }
    for message in delivery.order(happened) {
        post_message(&shared, &message).await;
    }
}

async fn post_message(shared: &Shared, message: &Value) {
    let Some(url) = lock(&shared.server_url).clone() else {
        tracing::warn!("the fake Vapi has nowhere to post its server message");
        return;
    };
    let body = json!({ "message": message }).to_string();
    let sent = shared
        .http
        .post(&url)
        .header(VAPI_SECRET_HEADER, shared.settings.server_secret.expose())
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    shared.messages_posted.fetch_add(1, Ordering::AcqRel);
    match sent {
        Ok(answer) if answer.status().is_success() => {}
        Ok(answer) => tracing::warn!(status = answer.status().as_u16(), "the listener refused a fake server message"),
        Err(error) => tracing::warn!(%error, "a fake server message could not be posted"),
    }
}

async fn get_call(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(fault) = shared.fault(Endpoint::GetCall).await {
        return fault;
    }
    if let Some(refused) = shared.unauthorized(&headers) {
        return refused;
    }
    let Some(call) = lock(&shared.calls).get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, error_body(StatusCode::NOT_FOUND, "Call not found")).into_response();
    };
    let mut shown = call.ended_call;
    if !call.ended {
        shown["status"] = json!("in-progress");
        shown["monitor"] = monitor(&shared, &id);
        for key in ["endedReason", "endedAt", "cost", "artifact", "analysis"] {
            shown.as_object_mut().map(|fields| fields.remove(key));
        }
    }
    axum::Json(shown).into_response()
}

/// A live call's monitor URLs; its control URL takes no key (Vapi's default).
fn monitor(shared: &Shared, id: &str) -> Value {
    let listen = shared.base_url.replacen("http", "ws", 1);
    json!({"listenUrl": format!("{listen}/live/{id}/listen"), "controlUrl": format!("{}/live/{id}/control", shared.base_url)})
}

/// A live control message: kept, and acknowledged while the call lasts (400 once it is over,
/// as Vapi answers for a call no longer live).
async fn control_call(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("Unexpected token in JSON");
    };
    let live = lock(&shared.calls).get(&id).is_some_and(|call| !call.ended);
    if !live {
        return bad_request("Call is not active");
    }
    if message["type"].as_str().is_none() {
        return bad_request("type must be a string");
    }
    lock(&shared.controls).push((id, message));
    (StatusCode::OK, "ok").into_response()
}

async fn get_recording(State(shared): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    if let Some(fault) = shared.fault(Endpoint::Recording).await {
        return fault;
    }
    let id = file.strip_suffix(".wav").unwrap_or(&file);
    let recording = lock(&shared.calls).get(id).filter(|call| call.ended).and_then(|call| call.recording.clone());
    match recording {
        Some(wav) => ([(header::CONTENT_TYPE, "audio/wav")], wav.as_ref().clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
    }
}

/// The fields `POST /chat` takes (`CreateChatDto`); Vapi refuses any other.
const CHAT_FIELDS: [&str; 11] = [
    "assistantId",
    "assistant",
    "assistantOverrides",
    "squadId",
    "squad",
    "name",
    "sessionId",
    "input",
    "stream",
    "previousChatId",
    "transport",
];

/// Vapi's names for the assistant's call tools; other tools keep their own.
fn vapi_tool_name(name: &str) -> &str {
    match name {
        "end_call" => "endCall",
        "transfer_call" => "transferCall",
        other => other,
    }
}

async fn create_chat(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(fault) = shared.fault(Endpoint::Chat).await {
        return fault;
    }
    if let Some(refused) = shared.unauthorized(&headers) {
        return refused;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("Unexpected token in JSON");
    };
    lock(&shared.chat_requests).push(body.clone());
    match chat_turn(&shared, &body) {
        Ok(chat) => (StatusCode::CREATED, axum::Json(chat)).into_response(),
        Err((status, message)) => (status, error_body(status, &message)).into_response(),
    }
}

/// Takes one chat turn: the conversation so far (from `previousChatId`) and the input, answered
/// by the assistant's model.
fn chat_turn(shared: &Shared, body: &Value) -> Result<Value, (StatusCode, String)> {
    let refused = |message: &str| (StatusCode::BAD_REQUEST, message.to_owned());
    let Some(fields) = body.as_object() else { return Err(refused("the body must be an object")) };
    if let Some(unknown) = fields.keys().find(|key| !CHAT_FIELDS.contains(&key.as_str())) {
        return Err(refused(&format!("property {unknown} should not exist")));
    }
    let Some(input) = body["input"].as_str().filter(|input| !input.trim().is_empty()) else {
        return Err(refused("input must be a non-empty string"));
    };
    let previous = match body["previousChatId"].as_str() {
        Some(id) => {
            Some(lock(&shared.chats).get(id).cloned().ok_or((StatusCode::NOT_FOUND, "Chat not found".to_owned()))?)
        }
        None => None,
    };
    let assistant_id = body["assistantId"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| previous.as_ref().map(|chat| chat.assistant_id.clone()))
        .ok_or_else(|| refused("one of assistantId, assistant, squadId, sessionId or previousChatId is required"))?;
    let agent = shared
        .settings
        .agents
        .iter()
        .find(|agent| agent.config.backend_settings.vapi.assistant_id == assistant_id)
        .ok_or_else(|| refused(&format!("Couldn't Get Assistant. `assistantId` {assistant_id} Does Not Exist.")))?;
    let Some(model) = lock(&shared.chat_model).clone() else {
        return Err(refused("the fake Vapi has no chat model (set_chat_model)"));
    };
    let overrides = &body["assistantOverrides"]["variableValues"];
    let variables = if overrides.is_object() {
        overrides.clone()
    } else {
        previous.as_ref().map_or_else(|| json!({}), |chat| chat.variables.clone())
    };
    let prompt = render(&agent.config.system_prompt, &text_variables(&variables))
        .unwrap_or_else(|_| agent.config.system_prompt.clone());
    let mut lines = previous.map(|chat| chat.lines).unwrap_or_default();
    lines.push(Line { speaker: Speaker::Callee, text: input.to_owned() });
    let mut tools = vec!["end_call", "record_field"];
    if !agent.config.transfer_to.trim().is_empty() {
        tools.push("transfer_call");
    }
    let answer = ask(&model, Speaker::Agent, &prompt, &lines, &tools);
    let context: Vec<Value> = lines
        .iter()
        .map(|line| {
            let role = if line.speaker == Speaker::Agent { "assistant" } else { "user" };
            json!({"role": role, "content": line.text})
        })
        .collect();
    let tool_calls: Vec<Value> = answer
        .tools
        .iter()
        .enumerate()
        .map(|(n, (name, input))| {
            json!({"id": format!("call_{n}"), "type": "function",
                   "function": {"name": vapi_tool_name(name), "arguments": input.to_string()}})
        })
        .collect();
    let mut output = json!({"role": "assistant", "content": answer.text});
    if !tool_calls.is_empty() {
        output["tool_calls"] = json!(tool_calls);
    }
    lines.push(Line { speaker: Speaker::Agent, text: answer.text });
    let n = shared.next_id.fetch_add(1, Ordering::AcqRel);
    let id = format!("{n:08x}-c4a7-4b2e-9f00-{n:012x}");
    let now = iso(SystemTime::now());
    let chat = json!({
        "id": id, "orgId": "org-switchboard-fake", "assistantId": assistant_id, "input": input,
        "previousChatId": body["previousChatId"], "messages": context, "output": [output],
        "createdAt": now, "updatedAt": now, "cost": 0.0004,
    });
    lock(&shared.chats).insert(id, Chat { assistant_id, variables, lines });
    Ok(chat)
}

/// Vapi's error shape (NestJS): `{"message", "error", "statusCode"}`.
fn error_body(status: StatusCode, message: &str) -> axum::Json<Value> {
    axum::Json(
        json!({"message": message, "error": status.canonical_reason().unwrap_or(""), "statusCode": status.as_u16()}),
    )
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, error_body(StatusCode::BAD_REQUEST, message)).into_response()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn unix_ms(time: SystemTime) -> u64 {
    u64::try_from(time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis()).unwrap_or(u64::MAX)
}

/// An ISO 8601 instant with milliseconds, as Vapi writes them.
fn iso(time: SystemTime) -> String {
    let millis = i64::try_from(unix_ms(time)).unwrap_or(i64::MAX);
    jiff::Timestamp::from_millisecond(millis).map_or_else(|_| String::new(), |at| format!("{at:.3}"))
}
