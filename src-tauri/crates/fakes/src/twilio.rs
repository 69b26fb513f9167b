//! A loopback fake of Twilio's REST API for calls (docs/providers.md#twilio-calls). `POST …/Calls.json` answers
//! the call's JSON, then the call plays out: signed status callbacks (`initiated`, `ringing`,
//! then `in-progress` or `busy`/`no-answer` as the simulator's persona for the number says),
//! each with its `SequenceNumber`; the async AMD verdict (`human`, or for a voicemail persona
//! `machine_end_beep` when the call detects the message end, else `machine_start`; at once, or
//! while the call runs for a machine set with [`FakeTwilio::machine_answers`]); the call's TwiML (a `<Connect><Stream>` is joined over a WebSocket, as
//! Twilio does, and the call lasts as long as the stream); then `completed` and the recording
//! callback, with a WAV served at `RecordingUrl.wav`. `GET …/Calls/{sid}.json` answers the call
//! as it stands (status, times, duration, AMD verdict, price once completed); `POST
//! …/Calls/{sid}.json` hangs up (`Status=completed`) or redirects (`Twiml`), which ends the
//! call's media stream. The Streams resource forks a live call's audio (see [`streams`]); the
//! callee on every stream follows the test's script ([`FakeTwilio::stream_callee`]). Handing
//! calls off ([`FakeTwilio::hand_off`]), the fake plays the network's part only and gives each
//! answered call to the test, which plays Twilio fetching the voice URL until it drops the call
//! ([`AnsweredCall`]). Faults: latency, 429 with `Retry-After`, 500, stalls, and dropped,
//! duplicated or reordered status callbacks (dropping drops the AMD and recording callbacks too).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use switchboard_core::{CallId, Speaker};
use switchboard_providers::signature::{SignedBody, TWILIO_SIGNATURE_HEADER, TwilioWebhookKey};
use switchboard_providers::twilio::{TwilioClient, TwilioConfig};
use switchboard_providers::{HttpSettings, ProviderError, Secret};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use self::streams::{JoinedStream, StreamCallee};
pub use super::faults::WebhookDelivery;
use super::faults::{Fault, Faults};
use super::serving::{bind, fault_controls, serve, webhook_client};
use switchboard_sim::SimSettings;
use switchboard_sim::persona::{Reach, reach};
use switchboard_sim::voice::{Utterance, record};

pub mod streams;

/// What the fake is configured with.
pub struct FakeTwilioSettings {
    pub account_sid: String,
    /// Checked on every request (Basic auth) and used to sign callbacks.
    pub auth_token: Secret,
    /// How long each number rings.
    pub ring_time: Duration,
    /// The callees: the simulator's seed and cast.
    pub sim: SimSettings,
    /// Numbers an answering machine answers, whatever the cast says.
    pub machines: Vec<String>,
}

/// Which requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST …/Calls.json`
    CreateCall = 0,
    /// `GET` and `POST …/Calls/{sid}.json`, and recordings
    Call = 1,
}

/// The calls the fake placed, by Call SID: who was dialled and how they answer. The Ultravox
/// fake reads it to know who joined its call.
#[derive(Clone, Default)]
pub struct CallDirectory(Arc<Mutex<HashMap<String, Dialled>>>);

#[derive(Clone)]
pub(crate) struct Dialled {
    pub(crate) to: String,
    pub(crate) reach: Reach,
}

impl CallDirectory {
    pub(crate) fn get(&self, call_sid: &str) -> Option<Dialled> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(call_sid).cloned()
    }
}

/// A call as the fake's REST API reports it (docs/providers.md#twilio-calls, the Call resource).
struct CallFacts {
    to: String,
    from: String,
    /// `queued`, `ringing`, `in-progress`, `completed`, `busy`, `no-answer`…
    status: &'static str,
    date_created: SystemTime,
    /// When it was dialled.
    start_time: Option<SystemTime>,
    /// When it completed (Twilio leaves it empty for a call that never connected).
    end_time: Option<SystemTime>,
    duration_secs: Option<u64>,
    answered_by: Option<&'static str>,
    /// Negative for a charge, once completed.
    price: Option<String>,
}

impl CallFacts {
    fn json(&self, account: &str, sid: &str) -> serde_json::Value {
        let time = |at: Option<SystemTime>| at.map(httpdate::fmt_http_date);
        json!({
            "sid": sid, "account_sid": account, "parent_call_sid": null, "to": self.to, "from": self.from,
            "status": self.status, "start_time": time(self.start_time), "end_time": time(self.end_time),
            "duration": self.duration_secs.map(|secs| secs.to_string()), "price": self.price,
            "price_unit": "USD", "direction": "outbound-api", "answered_by": self.answered_by,
            "api_version": "2010-04-01", "date_created": httpdate::fmt_http_date(self.date_created),
            "uri": format!("/2010-04-01/Accounts/{account}/Calls/{sid}.json"),
            "subresource_uris": {"recordings": format!("/2010-04-01/Accounts/{account}/Calls/{sid}/Recordings.json"),
                                 "streams": format!("/2010-04-01/Accounts/{account}/Calls/{sid}/Streams.json")}
        })
    }
}

/// The number in the next Call, Recording or Stream SID: shared by every fake in the process, so two
/// fakes (two accounts, or two addresses of one) never hand out the same SID, as Twilio never does.
pub(super) static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// What the fake charges a minute of a completed call, in USD.
const PRICE_PER_MINUTE: f64 = 0.014;

/// When a call the fake placed was up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTimes {
    pub sid: String,
    /// The number dialled.
    pub to: String,
    pub placed_at: SystemTime,
    /// When an answered call completed; `None` while it is up (or when it was never answered).
    pub ended_at: Option<SystemTime>,
}

/// A form as received: its fields in order.
pub type Form = Vec<(String, String)>;

/// What a live call is told from outside.
#[derive(Default)]
struct Control {
    /// TwiML a redirect replaced the call's with, or `None` for a hang-up; set once.
    ending: Mutex<Option<Option<String>>>,
    changed: Notify,
}

impl Control {
    fn hang_up(&self) {
        lock(&self.ending).get_or_insert(None);
        self.changed.notify_one();
    }
}

/// A call the fake answered and handed to the test (see [`FakeTwilio::hand_off`]): what Twilio
/// was told to run. The call completes when the last clone is dropped (or the dialer hangs it
/// up or redirects it).
#[derive(Clone)]
pub struct AnsweredCall {
    pub call_sid: String,
    /// The number dialled.
    pub to: String,
    /// The voice URL Twilio would fetch (`Url`), if the call was placed with one.
    pub url: Option<String>,
    /// The TwiML the call was placed with, if any.
    pub twiml: Option<String>,
    /// Held, not read: the call completes when the last clone is dropped.
    _end: Arc<CallEnd>,
}

struct CallEnd(Arc<Control>);

impl Drop for CallEnd {
    fn drop(&mut self) {
        self.0.hang_up();
    }
}

/// A `<Connect><Stream>`: where it connects and its `<Parameter>`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectStream {
    pub url: String,
    pub parameters: BTreeMap<String, String>,
}

/// The fake Twilio, serving on 127.0.0.1 until dropped.
pub struct FakeTwilio {
    base_url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    settings: FakeTwilioSettings,
    base_url: String,
    http: reqwest::Client,
    faults: Faults<2>,
    delivery: Mutex<WebhookDelivery>,
    /// Callbacks to URLs under a public base go to its local base (a tunnel to a listener).
    tunnels: Mutex<HashMap<String, String>>,
    placed: Mutex<Vec<Form>>,
    updates: Mutex<Vec<(String, Form)>>,
    controls: Mutex<HashMap<String, Arc<Control>>>,
    calls: Mutex<HashMap<String, CallFacts>>,
    directory: CallDirectory,
    recordings: Mutex<HashMap<String, Vec<u8>>>,
    callbacks_posted: AtomicU32,
    hand_off: AtomicBool,
    answered: Mutex<VecDeque<AnsweredCall>>,
    answered_signal: Notify,
    /// How long a call update is answered after it took effect (none: at once).
    update_answer_delay: Mutex<Duration>,
    /// Numbers a machine answers, and how long after answering its verdict comes.
    late_machines: Mutex<HashMap<String, Duration>>,
    /// How long numbers ring from now on, when changed after start.
    ring_time: Mutex<Option<Duration>>,
    streams: streams::Streams,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Where a request Twilio makes to `url` goes: through the tunnel of the public base `url`
    /// is under, else `None`; `scheme` gives a base as the request addresses it (http, ws).
    fn through_tunnel(&self, url: &str, scheme: impl Fn(&str) -> String) -> Option<String> {
        lock(&self.tunnels).iter().find_map(|(public, local)| {
            let path = url.strip_prefix(&scheme(public))?;
            (path.is_empty() || path.starts_with('/')).then(|| format!("{}{path}", scheme(local)))
        })
    }

    /// Changes what the REST API reports about call `sid`.
    fn update(&self, sid: &str, change: impl FnOnce(&mut CallFacts)) {
        if let Some(facts) = lock(&self.calls).get_mut(sid) {
            change(facts);
        }
    }

    /// Whether callbacks are being dropped.
    fn dropping(&self) -> bool {
        *lock(&self.delivery) == WebhookDelivery::Dropped
    }
}

impl FakeTwilio {
    /// Starts the fake on a free loopback port.
    pub async fn start(settings: FakeTwilioSettings) -> std::io::Result<Self> {
        let http = webhook_client()?;
        let (listener, base_url) = bind().await?;
        let shared = Arc::new(Shared {
            settings,
            base_url: base_url.clone(),
            http,
            faults: Faults::default(),
            delivery: Mutex::default(),
            tunnels: Mutex::default(),
            placed: Mutex::default(),
            updates: Mutex::default(),
            controls: Mutex::default(),
            calls: Mutex::default(),
            directory: CallDirectory::default(),
            recordings: Mutex::default(),
            callbacks_posted: AtomicU32::new(0),
            hand_off: AtomicBool::new(false),
            answered: Mutex::default(),
            answered_signal: Notify::new(),
            late_machines: Mutex::default(),
            ring_time: Mutex::default(),
            update_answer_delay: Mutex::default(),
            streams: streams::Streams::default(),
        });
        let router = Router::new()
            .route("/2010-04-01/Accounts/{account}/Calls.json", post(create_call))
            .route("/2010-04-01/Accounts/{account}/Calls/{call}", post(update_call).get(fetch_call))
            .route("/2010-04-01/Accounts/{account}/Calls/{call}/Streams.json", post(streams::start_fork))
            .route("/2010-04-01/Accounts/{account}/Calls/{call}/Streams/{stream}", post(streams::stop_fork))
            .route("/2010-04-01/Accounts/{account}/Recordings/{recording}", get(get_recording))
            .with_state(Arc::clone(&shared));
        let server = serve(listener, router, "Twilio");
        Ok(Self { base_url, shared, server })
    }

    /// The base URL to give the client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The real Twilio client, pointed at this fake with its account and auth token.
    pub fn client(&self, http: &HttpSettings) -> Result<TwilioClient, ProviderError> {
        TwilioClient::new(self.config(), http)
    }

    /// The Twilio client's settings for this fake: its base URL, account and auth token.
    pub fn config(&self) -> TwilioConfig {
        let settings = &self.shared.settings;
        TwilioConfig {
            base_url: self.base_url.clone(),
            account_sid: settings.account_sid.clone(),
            auth_token: settings.auth_token.clone(),
            api_key_sid: None,
        }
    }

    /// Posts callbacks addressed under `public_base` (the listener's public URL, which they are
    /// signed over) to `local_base` instead, as a tunnel would; until then none go out. Each
    /// public base has a tunnel of its own (a listener each); a second call for one moves it.
    pub fn tunnel(&self, public_base: &str, local_base: &str) {
        lock(&self.shared.tunnels).insert(public_base.to_owned(), local_base.to_owned());
    }

    fault_controls!();

    /// Numbers placed from now on ring this long (instead of the settings' `ring_time`).
    pub fn set_ring_time(&self, ring_time: Duration) {
        *lock(&self.shared.ring_time) = Some(ring_time);
    }

    /// From now on a call update (hang-up, redirect) takes effect at once, ending the media stream,
    /// but is answered only `delay` later: the call moves on before its client hears back.
    pub fn answer_updates_after(&self, delay: Duration) {
        *lock(&self.shared.update_answer_delay) = delay;
    }

    /// Every create-call form received, as sent (those answered with a fault too).
    pub fn placed_calls(&self) -> Vec<Form> {
        lock(&self.shared.placed).clone()
    }

    /// Every hang-up or redirect received: the Call SID and the form.
    pub fn updates(&self) -> Vec<(String, Form)> {
        lock(&self.shared.updates).clone()
    }

    /// Every call placed, oldest first, with when it was placed and when it completed.
    pub fn call_times(&self) -> Vec<CallTimes> {
        let mut calls: Vec<CallTimes> = lock(&self.shared.calls)
            .iter()
            .map(|(sid, facts)| CallTimes {
                sid: sid.clone(),
                to: facts.to.clone(),
                placed_at: facts.date_created,
                ended_at: facts.end_time,
            })
            .collect();
        calls.sort_by(|a, b| (a.placed_at, &a.sid).cmp(&(b.placed_at, &b.sid)));
        calls
    }

    /// How many callbacks were posted (duplicates included).
    pub fn callbacks_posted(&self) -> u32 {
        self.shared.callbacks_posted.load(Ordering::Acquire)
    }

    /// From now on, answered calls are handed to the test ([`FakeTwilio::next_answered`]) instead
    /// of the fake running their TwiML itself.
    pub fn hand_off(&self) {
        self.shared.hand_off.store(true, Ordering::Release);
    }

    /// The next call answered while handing off (waits up to 10 s for one).
    pub async fn next_answered(&self) -> Option<AnsweredCall> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let signalled = self.shared.answered_signal.notified();
            if let Some(call) = lock(&self.shared.answered).pop_front() {
                return Some(call);
            }
            if tokio::time::timeout_at(deadline, signalled).await.is_err() {
                return None;
            }
        }
    }

    /// From now on a machine answers `number`, and async AMD says so `verdict_after` the answer,
    /// while the call's TwiML runs (as when Twilio waits for the greeting's end and the beep).
    pub fn machine_answers(&self, number: &str, verdict_after: Duration) {
        lock(&self.shared.late_machines).insert(number.to_owned(), verdict_after);
    }

    /// The calls placed, for the Ultravox fake.
    pub fn directory(&self) -> CallDirectory {
        self.shared.directory.clone()
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Twilio's 404 for a resource it does not have.
fn not_found(path: &str) -> Response {
    twilio_error(StatusCode::NOT_FOUND, 20404, &format!("The requested resource {path} was not found"))
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16()});
    (status, axum::Json(body)).into_response()
}

/// Faults, then the account and Basic auth.
async fn admit(shared: &Shared, endpoint: Endpoint, account: &str, headers: &HeaderMap) -> Option<Response> {
    match shared.faults.next(endpoint as usize).await {
        Some(Fault::RateLimited) => {
            let mut response = twilio_error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return Some(response);
        }
        Some(Fault::ServerError) => {
            return Some(twilio_error(StatusCode::INTERNAL_SERVER_ERROR, 20500, "Internal Server Error"));
        }
        None => {}
    }
    let settings = &shared.settings;
    let expected = format!(
        "Basic {}",
        base64_encode(format!("{}:{}", settings.account_sid, settings.auth_token.expose()).as_bytes())
    );
    let authorized = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) == Some(&expected);
    if account != settings.account_sid || !authorized {
        return Some(twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
    }
    None
}

/// A request about a placed call, admitted (see [`admit`]): the account it named and its form.
struct Admitted {
    account: String,
    form: Form,
}

impl FromRequest<Arc<Shared>> for Admitted {
    type Rejection = Response;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(path) = Path::<HashMap<String, String>>::from_request_parts(&mut parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let account = path.get("account").cloned().unwrap_or_default();
        if let Some(refusal) = admit(shared, Endpoint::Call, &account, &parts.headers).await {
            return Err(refusal);
        }
        let body =
            Bytes::from_request(Request::from_parts(parts, body), shared).await.map_err(IntoResponse::into_response)?;
        Ok(Self { account, form: serde_urlencoded::from_bytes(&body).unwrap_or_default() })
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

async fn create_call(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body);
    if let Ok(form) = &form {
        lock(&shared.placed).push(form.clone());
    }
    if let Some(refusal) = admit(&shared, Endpoint::CreateCall, &account, &headers).await {
        return refusal;
    }
    let Ok(form) = form else {
        return twilio_error(StatusCode::BAD_REQUEST, 21100, "The request body is not a form");
    };
    let (Some(to), Some(from)) = (field(&form, "To"), field(&form, "From")) else {
        return twilio_error(StatusCode::BAD_REQUEST, 21201, "No 'To' or 'From' number is specified");
    };
    if field(&form, "Twiml").is_none() && field(&form, "Url").is_none() {
        return twilio_error(StatusCode::BAD_REQUEST, 21205, "Url or Twiml is required");
    }
    let key = |c: char| c.is_ascii_digit() || "ABCD#*wW".contains(c);
    if field(&form, "SendDigits")
        .is_some_and(|digits| digits.is_empty() || digits.len() > 32 || !digits.chars().all(key))
    {
        return twilio_error(StatusCode::BAD_REQUEST, 21206, "Invalid SendDigits");
    }
    let n = NEXT_ID.fetch_add(1, Ordering::AcqRel);
    let sid = format!("CA{n:032x}");
    let settings = &shared.settings;
    let reach = if settings.machines.iter().any(|number| number == to) || lock(&shared.late_machines).contains_key(to) {
        Reach::Voicemail
    } else {
        reach(settings.sim.cast, settings.sim.seed, to, 1)
    };
    lock(&shared.directory.0).insert(sid.clone(), Dialled { to: to.to_owned(), reach });
    let control = Arc::new(Control::default());
    lock(&shared.controls).insert(sid.clone(), Arc::clone(&control));
    let facts = CallFacts {
        to: to.to_owned(),
        from: from.to_owned(),
        status: "queued",
        date_created: SystemTime::now(),
        start_time: None,
        end_time: None,
        duration_secs: None,
        answered_by: None,
        price: None,
    };
    let answer = facts.json(&shared.settings.account_sid, &sid);
    lock(&shared.calls).insert(sid.clone(), facts);
    tokio::spawn(play_call(Arc::clone(&shared), sid.clone(), form.clone(), reach, control));
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

async fn fetch_call(
    State(shared): State<Arc<Shared>>,
    Path((account, call)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = admit(&shared, Endpoint::Call, &account, &headers).await {
        return refusal;
    }
    let sid = call.trim_end_matches(".json");
    match lock(&shared.calls).get(sid) {
        Some(facts) => axum::Json(facts.json(&account, sid)).into_response(),
        None => not_found(&format!("/2010-04-01/Accounts/{account}/Calls/{call}")),
    }
}

async fn update_call(
    State(shared): State<Arc<Shared>>,
    Path((_, call)): Path<(String, String)>,
    Admitted { account, form }: Admitted,
) -> Response {
    let sid = call.trim_end_matches(".json").to_owned();
    let Some(control) = lock(&shared.controls).get(&sid).cloned() else {
        return not_found(&format!("/2010-04-01/Accounts/{account}/Calls/{call}"));
    };
    lock(&shared.updates).push((sid.clone(), form.clone()));
    let ending = match (field(&form, "Status"), field(&form, "Twiml")) {
        (Some("completed" | "canceled"), _) => None,
        (_, Some(twiml)) => Some(twiml.to_owned()),
        _ => return twilio_error(StatusCode::BAD_REQUEST, 21218, "Invalid call update"),
    };
    lock(&control.ending).get_or_insert(ending);
    control.changed.notify_one();
    let delay = *lock(&shared.update_answer_delay);
    tokio::time::sleep(delay).await;
    let answer = lock(&shared.calls).get(&sid).map(|facts| facts.json(&account, &sid));
    axum::Json(answer).into_response()
}

async fn get_recording(
    State(shared): State<Arc<Shared>>,
    Path((account, recording)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = admit(&shared, Endpoint::Call, &account, &headers).await {
        return refusal;
    }
    let Some(sid) = recording.strip_suffix(".wav") else {
        return twilio_error(StatusCode::NOT_FOUND, 20404, "Only .wav is served");
    };
    match lock(&shared.recordings).get(sid) {
        Some(wav) => ([(header::CONTENT_TYPE, "audio/x-wav")], wav.clone()).into_response(),
        None => twilio_error(StatusCode::NOT_FOUND, 20404, "The requested resource was not found"),
    }
}

/// The call from dialling to its recording.
async fn play_call(shared: Arc<Shared>, sid: String, form: Vec<(String, String)>, reach: Reach, control: Arc<Control>) {
    let status_url = field(&form, "StatusCallback").map(str::to_owned);
    let mut status = StatusCallbacks { shared: &shared, sid: &sid, form: &form, url: status_url, held: Vec::new() };
    shared.update(&sid, |facts| facts.start_time = Some(SystemTime::now()));
    status.post("initiated", &[]).await;
    let ring_time = lock(&shared.ring_time).unwrap_or(shared.settings.ring_time);
    tokio::time::sleep(ring_time).await;
    shared.update(&sid, |facts| facts.status = "ringing");
    status.post("ringing", &[]).await;
    let unreached = match reach {
        Reach::Busy => Some(("busy", "486")),
        Reach::NoAnswer => Some(("no-answer", "487")),
        Reach::Answers | Reach::Voicemail => None,
    };
    if let Some((end, sip)) = unreached {
        shared.update(&sid, |facts| facts.status = end);
        return status.finish(end, &[("SipResponseCode", sip.to_owned())]).await;
    }
    let answered = Instant::now();
    shared.update(&sid, |facts| facts.status = "in-progress");
    status.post("in-progress", &[]).await;
    let answered_by = match (reach, field(&form, "MachineDetection")) {
        (Reach::Voicemail, Some("DetectMessageEnd")) => "machine_end_beep",
        (Reach::Voicemail, _) => "machine_start",
        _ => "human",
    };
    let after = lock(&shared.late_machines).get(field(&form, "To").unwrap_or_default()).copied();
    if field(&form, "MachineDetection").is_some() && after.is_none() {
        shared.update(&sid, |facts| facts.answered_by = Some(answered_by));
    }
    if let Some(url) = field(&form, "AsyncAmdStatusCallback").filter(|_| !shared.dropping()) {
        let amd = vec![
            ("CallSid", sid.clone()),
            ("AccountSid", shared.settings.account_sid.clone()),
            ("AnsweredBy", answered_by.to_owned()),
            ("MachineDetectionDuration", after.unwrap_or(Duration::from_millis(2300)).as_millis().to_string()),
        ];
        match after {
            Some(after) => {
                let (shared, url, control, sid) =
                    (Arc::clone(&shared), url.to_owned(), Arc::clone(&control), sid.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    if lock(&control.ending).is_none() {
                        shared.update(&sid, |facts| facts.answered_by = Some(answered_by));
                        post_callback(&shared, &url, &amd).await;
                    }
                });
            }
            None => post_callback(&shared, url, &amd).await,
        }
    }
    let twiml = field(&form, "Twiml").unwrap_or_default();
    if shared.hand_off.load(Ordering::Acquire) {
        let answered = AnsweredCall {
            call_sid: sid.clone(),
            to: field(&form, "To").unwrap_or_default().to_owned(),
            url: field(&form, "Url").map(str::to_owned),
            twiml: field(&form, "Twiml").map(str::to_owned),
            _end: Arc::new(CallEnd(Arc::clone(&control))),
        };
        lock(&shared.answered).push_back(answered);
        shared.answered_signal.notify_waiters();
        control.changed.notified().await;
    } else {
        match connect_stream(twiml) {
            Some(stream) => streams::connect(&shared, &sid, &stream, &control).await,
            None => {
                let _ = tokio::time::timeout(Duration::from_millis(200), control.changed.notified()).await;
            }
        }
    }
    streams::stop_forks(&shared, &sid);
    // A redirect plays its TwiML (say the message, hang up) before the call ends.
    let redirected = matches!(*lock(&control.ending), Some(Some(_)));
    if redirected {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = answered.elapsed().as_secs().max(1);
    shared.update(&sid, |facts| {
        facts.status = "completed";
        facts.end_time = Some(SystemTime::now());
        facts.duration_secs = Some(seconds);
        facts.price = Some(format!("-{:.5}", PRICE_PER_MINUTE * seconds.div_ceil(60) as f64));
    });
    status.finish("completed", &[("CallDuration", seconds.to_string())]).await;
    let recorded = field(&form, "Record") == Some("true") && !shared.dropping();
    if let Some(url) = field(&form, "RecordingStatusCallback").filter(|_| recorded) {
        let n = NEXT_ID.fetch_add(1, Ordering::AcqRel);
        let recording_sid = format!("RE{n:032x}");
        let duration_ms = u32::try_from(answered.elapsed().as_millis()).unwrap_or(u32::MAX).max(200);
        let utterance = Utterance { speaker: Speaker::Callee, start_ms: 0, duration_ms };
        // Synthesising the audio is CPU work: off the runtime, as it would be off Twilio's media path.
        let synthesised = tokio::task::spawn_blocking(move || record(CallId(i64::from(n)), &[utterance])).await;
        let Ok(Ok((wav, _))) = synthesised else { return };
        lock(&shared.recordings).insert(recording_sid.clone(), wav);
        let account = &shared.settings.account_sid;
        let recording = vec![
            ("AccountSid", account.clone()),
            ("CallSid", sid.clone()),
            ("RecordingSid", recording_sid.clone()),
            ("RecordingUrl", format!("{}/2010-04-01/Accounts/{account}/Recordings/{recording_sid}", shared.base_url)),
            ("RecordingStatus", "completed".to_owned()),
            ("RecordingDuration", seconds.to_string()),
            ("RecordingChannels", "2".to_owned()),
            ("RecordingSource", "OutboundAPI".to_owned()),
        ];
        post_callback(&shared, url, &recording).await;
    }
}

/// A call's status callbacks, numbered in the order they happen and delivered as configured.
struct StatusCallbacks<'a> {
    shared: &'a Shared,
    sid: &'a str,
    form: &'a [(String, String)],
    url: Option<String>,
    held: Vec<Vec<(&'static str, String)>>,
}

impl StatusCallbacks<'_> {
    async fn post(&mut self, status: &str, extra: &[(&'static str, String)]) {
        let Some(url) = self.url.clone() else { return };
        let account = &self.shared.settings.account_sid;
        let mut callback = vec![
            ("AccountSid", account.clone()),
            ("ApiVersion", "2010-04-01".to_owned()),
            ("CallSid", self.sid.to_owned()),
            ("CallStatus", status.to_owned()),
            ("Called", field(self.form, "To").unwrap_or_default().to_owned()),
            ("Caller", field(self.form, "From").unwrap_or_default().to_owned()),
            ("CallbackSource", "call-progress-events".to_owned()),
            ("Direction", "outbound-api".to_owned()),
            ("From", field(self.form, "From").unwrap_or_default().to_owned()),
            ("SequenceNumber", self.held.len().to_string()),
            ("Timestamp", httpdate::fmt_http_date(std::time::SystemTime::now())),
            ("To", field(self.form, "To").unwrap_or_default().to_owned()),
        ];
        callback.extend(extra.iter().cloned());
        let delivery = *lock(&self.shared.delivery);
        self.held.push(callback.clone());
        // Live callbacks go out as they happen; reordered ones wait for the end.
        if matches!(delivery, WebhookDelivery::InOrder | WebhookDelivery::Duplicated) {
            for callback in delivery.order(vec![callback]) {
                post_callback(self.shared, &url, &callback).await;
            }
        }
    }

    /// The last callback, then any held back, last first.
    async fn finish(mut self, status: &str, extra: &[(&'static str, String)]) {
        self.post(status, extra).await;
        let delivery = *lock(&self.shared.delivery);
        if delivery == WebhookDelivery::Reordered
            && let Some(url) = self.url.clone()
        {
            for callback in delivery.order(std::mem::take(&mut self.held)) {
                post_callback(self.shared, &url, &callback).await;
            }
        }
    }
}

/// The `<Connect><Stream>` of `twiml`, if it has one.
pub fn connect_stream(twiml: &str) -> Option<ConnectStream> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(twiml);
    let (mut in_connect, mut stream) = (false, None::<ConnectStream>);
    loop {
        let (start, empty) = match reader.read_event().ok()? {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::End(end) if end.name().as_ref() == "Connect" => return stream,
            Event::Eof => return stream,
            _ => continue,
        };
        let attribute = |name: &str| {
            let attribute = start.try_get_attribute(name).ok()??;
            Some(attribute.normalized_value(quick_xml::XmlVersion::default()).ok()?.into_owned())
        };
        match start.name().as_ref() {
            "Connect" if !empty => in_connect = true,
            "Stream" if in_connect => {
                stream = Some(ConnectStream { url: attribute("url")?, parameters: BTreeMap::new() });
            }
            "Parameter" => {
                if let (Some(stream), Some(name), Some(value)) = (&mut stream, attribute("name"), attribute("value")) {
                    stream.parameters.insert(name, value);
                }
            }
            _ => {}
        }
    }
}

/// Posts a signed form callback to `url` (through the tunnel).
async fn post_callback(shared: &Shared, url: &str, form: &[(&'static str, String)]) {
    let Some(local) = shared.through_tunnel(url, str::to_owned) else {
        tracing::warn!(url, "a callback URL outside every tunnel");
        return;
    };
    let body = serde_urlencoded::to_string(form).unwrap_or_default();
    let signature =
        TwilioWebhookKey::new(shared.settings.auth_token.clone()).sign(url, SignedBody::Form(body.as_bytes()));
    let sent = shared
        .http
        .post(local)
        .header(TWILIO_SIGNATURE_HEADER, signature)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    shared.callbacks_posted.fetch_add(1, Ordering::AcqRel);
    match sent {
        Ok(answer) if answer.status().is_success() => {}
        Ok(answer) => tracing::warn!(status = answer.status().as_u16(), url, "the listener refused a fake callback"),
        Err(error) => tracing::warn!(%error, "a fake callback could not be posted"),
    }
}

#[cfg(test)]
mod tests {
    use super::connect_stream;

    #[test]
    fn reads_the_stream_of_a_connect_with_its_parameters() {
        let twiml = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="ws://127.0.0.1:9/calls/c1/telephony?a=1&amp;b=2"/></Connect></Response>"#;
        let stream = connect_stream(twiml).unwrap();
        assert_eq!(stream.url, "ws://127.0.0.1:9/calls/c1/telephony?a=1&b=2");
        assert!(stream.parameters.is_empty());
        let twiml = r#"<Response><Connect><Stream url="wss://x.test/twilio/media"><Parameter name="callId" value="7"/><Parameter name="token" value="ab&amp;c"/></Stream></Connect></Response>"#;
        let stream = connect_stream(twiml).unwrap();
        assert_eq!(stream.parameters.get("callId").map(String::as_str), Some("7"));
        assert_eq!(stream.parameters.get("token").map(String::as_str), Some("ab&c"));
        assert_eq!(connect_stream("<Response><Say>Hi</Say></Response>"), None);
    }
}
