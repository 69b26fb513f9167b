//! The webhook listener: signatures, limits and headers; the inbox (committed before the 200,
//! duplicates, out-of-order events); the media stream; health (with the providers' APIs probed
//! over loopback) and public URLs; slow and unfinished requests; and a listener killed right
//! after acknowledging a webhook.

mod credentials;
mod durability;
mod inbox;
mod media;
mod provider_health;
mod public_url;
mod refusal_log;
mod security;
mod shared_inbox;
mod slow_requests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, header};
use switchboard_core::{CallId, CallState, CallSummary, UnixMillis};
use switchboard_engine::{EngineEvent, EventBus};
use switchboard_providers::Secret;
use switchboard_providers::signature::{
    ELEVENLABS_SIGNATURE_HEADER, ElevenLabsWebhookKey, SignedBody, TWILIO_SIGNATURE_HEADER, TwilioWebhookKey,
    ULTRAVOX_SIGNATURE_HEADER, ULTRAVOX_TIMESTAMP_HEADER, ULTRAVOX_TOOL_KEY_HEADER, UltravoxWebhookKey,
    VAPI_SECRET_HEADER,
};
use switchboard_store::{NewCall, Store};
use switchboard_telephony::listener::{ListenerSettings, ListenerState, WebhookSecrets, router};
use tokio::sync::broadcast;
use tower::ServiceExt;

/// Where the providers think the listener is (a tunnel); signatures are made over this.
pub const PUBLIC: &str = "https://tunnel.example";
const TWILIO_TOKEN: &str = "twilio-auth-token";
const ELEVENLABS_SECRET: &str = "whsec_elevenlabs";
const ULTRAVOX_SECRET: &str = "ultravox-secret";
const VAPI_SECRET: &str = "vapi-secret";
const TWILIO_SHARED_KEY: &str = "twilio-shared-key-secret";
/// The Twilio call SID of the call [`call_with_provider_id`] makes.
pub const CALL_SID: &str = "CA0123456789abcdef";

pub fn secrets() -> WebhookSecrets {
    WebhookSecrets {
        twilio_auth_token: Some(Secret::new(TWILIO_TOKEN)),
        twilio_shared_key: Some(Secret::new(TWILIO_SHARED_KEY)),
        elevenlabs: Some(Secret::new(ELEVENLABS_SECRET)),
        ultravox: Some(Secret::new(ULTRAVOX_SECRET)),
        vapi: Some(Secret::new(VAPI_SECRET)),
    }
}

/// A seeded store holding one dialling call known to its provider as `provider_id`.
pub fn call_with_provider_id(store: &Store, provider_id: &str) -> CallSummary {
    let agent = store.list_agents().unwrap().remove(0);
    let contact = store.list_contacts().unwrap().remove(0);
    let call = store
        .insert_call(&NewCall {
            contact_id: contact.id,
            agent_id: agent.id,
            backend: agent.config.backend,
            phone_e164: contact.phone_e164.unwrap(),
            created_at: UnixMillis(1),
            campaign: None,
        })
        .unwrap();
    store.advance_call(call.id, CallState::Dialing, None, UnixMillis(2)).unwrap();
    store.set_provider_call_id(call.id, provider_id).unwrap();
    store.call(call.id).unwrap().unwrap()
}

/// A listener over a fresh seeded store with one call known as [`CALL_SID`].
pub struct Fixture {
    pub state: Arc<ListenerState>,
    pub store: Arc<Store>,
    pub call: CallSummary,
    pub events: broadcast::Receiver<Arc<EngineEvent>>,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with(secrets(), ListenerSettings::new(PUBLIC))
    }

    pub fn with(secrets: WebhookSecrets, settings: ListenerSettings) -> Self {
        let store = Store::open_in_memory().unwrap();
        crate::seed(&store);
        let call = call_with_provider_id(&store, CALL_SID);
        let store = Arc::new(store);
        let bus = EventBus::new(64);
        let events = bus.subscribe();
        let state = Arc::new(ListenerState::new(Arc::clone(&store), bus, secrets, settings));
        Self { state, store, call, events }
    }

    /// Sends `request` through the router, from a loopback peer unless it names another.
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        send_to(&self.state, request).await
    }

    pub fn state_of_call(&self, id: CallId) -> CallState {
        self.store.call(id).unwrap().unwrap().state
    }

    /// The states published for calls since the last look.
    pub fn published_states(&mut self) -> Vec<CallState> {
        let mut states = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            if let EngineEvent::CallUpdated { call } = &*event {
                states.push(call.state);
            }
        }
        states
    }
}

/// Sends `request` through the router of `state`, from a loopback peer unless it names another.
pub async fn send_to(state: &Arc<ListenerState>, mut request: Request<Body>) -> Response<Body> {
    if request.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    }
    router(Arc::clone(state)).oneshot(request).await.unwrap()
}

/// A Twilio status callback body.
pub fn twilio_status(call_sid: &str, status: &str, sequence: u32) -> Vec<u8> {
    format!("CallSid={call_sid}&AccountSid=AC1&From=%2B15550001111&To=%2B13125550143&CallStatus={status}&SequenceNumber={sequence}&CallbackSource=call-progress-events").into_bytes()
}

/// A form POST to `path` signed as Twilio signs it for the public URL.
pub fn twilio_request(path: &str, body: &[u8]) -> Request<Body> {
    let signature = twilio_form_signature(path, body);
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(TWILIO_SIGNATURE_HEADER, signature)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

/// The `X-Twilio-Signature` of a form POST of `body` to `path` at the public URL.
pub fn twilio_form_signature(path: &str, body: &[u8]) -> String {
    TwilioWebhookKey::new(Secret::new(TWILIO_TOKEN)).sign(&format!("{PUBLIC}{path}"), SignedBody::Form(body))
}

/// The key the listener verifies Twilio requests with, its shared key included.
pub fn twilio_key() -> TwilioWebhookKey {
    TwilioWebhookKey::new(Secret::new(TWILIO_TOKEN)).with_shared_key(Some(Secret::new(TWILIO_SHARED_KEY)))
}

/// The `X-Twilio-Signature` of a media stream upgrade to `url`.
pub fn twilio_websocket_signature(url: &str) -> String {
    TwilioWebhookKey::new(Secret::new(TWILIO_TOKEN)).sign(url, SignedBody::Empty)
}

/// An HTTP client for loopback requests (reqwest over rustls needs a crypto provider chosen).
pub fn http_client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A call of our Ultravox agents' `record_field` tool carrying `tool_key` (if any).
pub fn ultravox_tool_request(body: &[u8], tool_key: Option<&str>) -> Request<Body> {
    let request = json_request("/ultravox/tools/record-field");
    let request = match tool_key {
        Some(key) => request.header(ULTRAVOX_TOOL_KEY_HEADER, key),
        None => request,
    };
    request.body(Body::from(body.to_vec())).unwrap()
}

/// The tool key our Ultravox agents' tools are given with [`secrets`].
pub fn ultravox_tool_key() -> String {
    UltravoxWebhookKey::new(Secret::new(ULTRAVOX_SECRET)).tool_key().expose().to_owned()
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// An ElevenLabs webhook signed at `timestamp`.
pub fn elevenlabs_request(body: &[u8], timestamp: u64) -> Request<Body> {
    let signature = ElevenLabsWebhookKey::new(Secret::new(ELEVENLABS_SECRET)).sign(body, timestamp);
    json_request("/elevenlabs/webhook")
        .header(ELEVENLABS_SIGNATURE_HEADER, signature)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

/// A Vapi server message with `headers` and nothing else to authenticate it.
pub fn vapi_request_with(body: &[u8], headers: &[(&str, &str)]) -> Request<Body> {
    let request =
        headers.iter().fold(json_request("/vapi/events"), |request, (name, value)| request.header(*name, *value));
    request.body(Body::from(body.to_vec())).unwrap()
}

/// A Vapi server message carrying `secret`.
pub fn vapi_request(body: &[u8], secret: &str) -> Request<Body> {
    json_request("/vapi/events").header(VAPI_SECRET_HEADER, secret).body(Body::from(body.to_vec())).unwrap()
}

pub const fn vapi_secret() -> &'static str {
    VAPI_SECRET
}

/// An Ultravox webhook signed now.
pub fn ultravox_request(body: &[u8]) -> Request<Body> {
    let sent = jiff::Timestamp::now().to_string();
    let signature = UltravoxWebhookKey::new(Secret::new(ULTRAVOX_SECRET)).sign(body, &sent);
    json_request("/ultravox/events")
        .header(ULTRAVOX_SIGNATURE_HEADER, signature)
        .header(ULTRAVOX_TIMESTAMP_HEADER, sent)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

fn json_request(path: &str) -> axum::http::request::Builder {
    Request::post(path).header(header::CONTENT_TYPE, "application/json")
}
