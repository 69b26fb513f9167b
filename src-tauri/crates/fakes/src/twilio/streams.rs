//! The media streams the fake Twilio joins, all through the one joiner ([`FakeMediaStream`]): a
//! call's `<Connect><Stream>`, held until the far end closes it or the call is hung up or
//! redirected; and forks started and stopped through the Streams resource (`POST
//! …/Calls/{sid}/Streams.json`, then `POST …/Streams/{sid}.json` with `Status=stopped`), which
//! also end with their call. Sockets under the listener's public URL go through the tunnel.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use switchboard_providers::signature::websocket_url;
use switchboard_providers::twilio::StreamTrack;
use tokio::sync::Notify;

use super::{Admitted, ConnectStream, Control, FakeTwilio, Form, Shared, field, lock, twilio_error};
use crate::twilio_media::{CallerStep, Converser, FakeMediaStream, MediaStreamSettings, StreamControl};

/// Who answers the calls on their media streams, and how.
#[derive(Debug, Clone, Default)]
pub struct StreamCallee {
    /// What the callee does on every stream (a fork plays it too).
    pub script: Vec<CallerStep>,
    /// Keep every byte of audio sent and received in the stream's record.
    pub keep_audio: bool,
    /// `<Parameter>`s whose values are replaced before joining, as a forged stream would
    /// present them (e.g. a wrong token).
    pub forged: BTreeMap<String, String>,
    /// Who decides what the callee does once the script has run out.
    pub converser: Option<Converser>,
}

/// A stream the fake joined, handed to the test ([`FakeTwilio::next_stream`]).
pub struct JoinedStream {
    pub call_sid: String,
    pub stream_sid: String,
    /// The joined stream (its record once it ends), or why it could not be joined.
    pub stream: Result<FakeMediaStream, String>,
}

/// The live streams and what the test set for them.
#[derive(Default)]
pub(super) struct Streams {
    callee: Mutex<Option<StreamCallee>>,
    joined: Mutex<VecDeque<JoinedStream>>,
    joined_signal: Notify,
    /// Forks by stream SID: their call, and what stops them.
    forks: Mutex<HashMap<String, (String, Arc<Notify>)>>,
    /// Every Streams request: its path under the account and its form.
    requests: Mutex<Vec<(String, Form)>>,
}

impl FakeTwilio {
    /// From now on every stream is joined with `callee`'s script and handed to the test
    /// ([`FakeTwilio::next_stream`]); until then streams are joined by a silent callee.
    pub fn stream_callee(&self, callee: StreamCallee) {
        *lock(&self.shared.streams.callee) = Some(callee);
    }

    /// The next stream joined once a callee was set (waits up to 10 s for one).
    pub async fn next_stream(&self) -> Option<JoinedStream> {
        let streams = &self.shared.streams;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let signalled = streams.joined_signal.notified();
            if let Some(joined) = lock(&streams.joined).pop_front() {
                return Some(joined);
            }
            if tokio::time::timeout_at(deadline, signalled).await.is_err() {
                return None;
            }
        }
    }

    /// Every request to the Streams resource: its path under the account and its form.
    pub fn stream_requests(&self) -> Vec<(String, Form)> {
        lock(&self.shared.streams.requests).clone()
    }
}

/// Where a socket Twilio would open at `url` is opened: through the tunnel when `url` is under
/// the listener's public URL.
fn socket_url(shared: &Shared, url: &str) -> String {
    shared.through_tunnel(url, websocket_url).unwrap_or_else(|| url.to_owned())
}

/// Joins a stream of `call_sid` as Twilio does, with the callee's script; hands it to the test
/// when a callee was set. Returns its control, when it could be joined.
async fn join(
    shared: &Shared,
    call_sid: &str,
    stream_sid: String,
    url: &str,
    tracks: StreamTrack,
    mut parameters: BTreeMap<String, String>,
) -> Option<StreamControl> {
    let callee = lock(&shared.streams.callee).clone();
    let handed = callee.is_some();
    let callee = callee.unwrap_or_default();
    parameters.extend(callee.forged);
    let settings = MediaStreamSettings {
        account_sid: shared.settings.account_sid.clone(),
        call_sid: call_sid.to_owned(),
        stream_sid: stream_sid.clone(),
        tracks,
        connect_url: socket_url(shared, url),
        public_url: url.to_owned(),
        auth_token: shared.settings.auth_token.clone(),
        parameters,
        keep_audio: callee.keep_audio,
    };
    let stream = FakeMediaStream::connect(settings, callee.script, callee.converser).await;
    let control = stream.as_ref().ok().map(FakeMediaStream::control);
    if let Err(error) = &stream {
        tracing::warn!(url, error, "the fake Twilio could not join the stream");
    }
    if handed {
        let joined = JoinedStream { call_sid: call_sid.to_owned(), stream_sid, stream };
        lock(&shared.streams.joined).push_back(joined);
        shared.streams.joined_signal.notify_waiters();
    }
    control
}

/// Runs a call's `<Connect><Stream>` until the far end closes it, or the call is hung up or
/// redirected (then Twilio sends `stop` and closes it).
pub(super) async fn connect(shared: &Shared, sid: &str, stream: &ConnectStream, control: &Control) {
    let stream_sid = format!("MZ{}", &sid[2..]);
    let parameters = stream.parameters.clone();
    if let Some(joined) = join(shared, sid, stream_sid, &stream.url, StreamTrack::Inbound, parameters).await {
        hold(&joined, &control.changed).await;
    }
}

/// Holds a joined stream until it ends, or until `ended` is notified: then Twilio stops it.
async fn hold(joined: &StreamControl, ended: &Notify) {
    tokio::select! {
        () = joined.ended() => {}
        () = ended.notified() => {
            joined.stop();
            joined.ended().await;
        }
    }
}

/// Stops the forks of a call that ended.
pub(super) fn stop_forks(shared: &Shared, call_sid: &str) {
    for (call, stop) in lock(&shared.streams.forks).values() {
        if call == call_sid {
            stop.notify_one();
        }
    }
}

/// `POST …/Calls/{sid}/Streams.json`: forks the live call's audio to `Url`.
pub(super) async fn start_fork(
    State(shared): State<Arc<Shared>>,
    Path((_, call)): Path<(String, String)>,
    Admitted { account, form }: Admitted,
) -> Response {
    lock(&shared.streams.requests).push((format!("/Calls/{call}/Streams.json"), form.clone()));
    let live = lock(&shared.controls).get(&call).is_some_and(|control| lock(&control.ending).is_none());
    if !live {
        return twilio_error(StatusCode::NOT_FOUND, 20404, "The requested resource was not found");
    }
    let Some(url) = field(&form, "Url").map(str::to_owned) else {
        return twilio_error(StatusCode::BAD_REQUEST, 21201, "Url is required");
    };
    let tracks = match field(&form, "Track") {
        None | Some("inbound_track") => StreamTrack::Inbound,
        Some("outbound_track") => StreamTrack::Outbound,
        Some("both_tracks") => StreamTrack::Both,
        Some(_) => return twilio_error(StatusCode::BAD_REQUEST, 21201, "Track is not one Twilio knows"),
    };
    let mut parameters = BTreeMap::new();
    for n in 1..=99 {
        let (Some(name), Some(value)) =
            (field(&form, &format!("Parameter{n}.Name")), field(&form, &format!("Parameter{n}.Value")))
        else {
            break;
        };
        parameters.insert(name.to_owned(), value.to_owned());
    }
    let n = super::NEXT_ID.fetch_add(1, Ordering::AcqRel);
    let stream_sid = format!("MZ{n:032x}");
    let stop = Arc::new(Notify::new());
    lock(&shared.streams.forks).insert(stream_sid.clone(), (call.clone(), Arc::clone(&stop)));
    let (forking, sid, fork_call) = (Arc::clone(&shared), stream_sid.clone(), call.clone());
    tokio::spawn(async move {
        if let Some(joined) = join(&forking, &fork_call, sid.clone(), &url, tracks, parameters).await {
            hold(&joined, &stop).await;
        }
        lock(&forking.streams.forks).remove(&sid);
    });
    let stream = json!({"sid": stream_sid, "account_sid": account, "call_sid": call, "name": field(&form, "Name"),
        "status": "in-progress", "date_updated": httpdate::fmt_http_date(std::time::SystemTime::now()),
        "uri": format!("/2010-04-01/Accounts/{account}/Calls/{call}/Streams/{stream_sid}.json")});
    (StatusCode::CREATED, axum::Json(stream)).into_response()
}

/// `POST …/Calls/{sid}/Streams/{sid}.json` with `Status=stopped`: stops a fork.
pub(super) async fn stop_fork(
    State(shared): State<Arc<Shared>>,
    Path((_, call, stream)): Path<(String, String, String)>,
    Admitted { account, form }: Admitted,
) -> Response {
    lock(&shared.streams.requests).push((format!("/Calls/{call}/Streams/{stream}"), form.clone()));
    if field(&form, "Status") != Some("stopped") {
        return twilio_error(StatusCode::BAD_REQUEST, 21218, "Status must be stopped");
    }
    let sid = stream.trim_end_matches(".json");
    let Some(stop) =
        lock(&shared.streams.forks).get(sid).filter(|(of, _)| *of == call).map(|(_, stop)| Arc::clone(stop))
    else {
        return twilio_error(StatusCode::NOT_FOUND, 20404, "The requested resource was not found");
    };
    stop.notify_one();
    axum::Json(json!({"sid": sid, "account_sid": account, "call_sid": call, "name": null, "status": "stopped"}))
        .into_response()
}
