//! Listening in on a hosted-agent call: the engine asks Twilio (here a loopback stand-in for
//! the Streams resource, PROVIDERS.md §1) to fork both tracks of the call to the listener's
//! media route with the monitor parameter and a per-fork token; the fork's frames reach the
//! listener through the call's tap; stopping listening stops the fork, and its token with it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use switchboard_audio::{FRAME_BYTES, Party};
use switchboard_core::{BackendKind, CallId, CallState, UnixMillis};
use switchboard_engine::backends::elevenlabs::TWILIO_CALL_REF;
use switchboard_engine::live_audio::{HostedForking, ListenError, MONITOR_PARAMETER, listen_in};
use switchboard_engine::server::TWILIO_MEDIA_PATH;
use switchboard_engine::{Engine, EngineSettings};
use switchboard_providers::signature::{SignedBody, TwilioWebhookKey, websocket_url};
use switchboard_providers::twilio::{TwilioClient, TwilioConfig};
use switchboard_providers::{HttpSettings, Secret};
use switchboard_sim::fakes::anthropic::scripted;
use switchboard_sim::pipeline_rig::{PUBLIC_BASE, PipelineRig, RigSettings, TWILIO_AUTH_TOKEN};
use switchboard_store::{NewCall, Store};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";
const STREAM_SID: &str = "MZ0123456789abcdef0123456789abcdef";

/// A request the stand-in took: its path and form.
type Request = (String, Vec<(String, String)>);

/// Twilio's Streams resource for one call, standing in on 127.0.0.1: a start is answered with
/// the stream and followed by the fork connecting to the listener (signed over the `Url`, as
/// Twilio does), `start` carrying both tracks and the stream's parameters, then a frame of each
/// track every 20 ms — the callee's frame `n` filled with `n`, the agent's with `128 + n` —
/// until a stop is asked for, when it sends `stop` and closes.
#[derive(Clone)]
struct TwilioStreams {
    listener: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stopped: watch::Sender<bool>,
    /// How the last fork's socket ended: the close code the listener sent, if it closed it.
    closed_with: Arc<Mutex<Option<Option<u16>>>>,
}

impl TwilioStreams {
    async fn start(listener: SocketAddr) -> (Self, String) {
        let streams =
            Self { listener, requests: Arc::default(), stopped: watch::channel(false).0, closed_with: Arc::default() };
        let routes = Router::new()
            .route("/2010-04-01/Accounts/{account}/Calls/{call}/Streams.json", post(start_stream))
            .route("/2010-04-01/Accounts/{account}/Calls/{call}/Streams/{stream}", post(stop_stream))
            .with_state(streams.clone());
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", socket.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(socket, routes).await });
        (streams, base)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Connects a fork as Twilio would, with these parameters, and plays until stopped.
    async fn fork(&self, url: &str, parameters: BTreeMap<String, String>) {
        let signature =
            TwilioWebhookKey::new(Secret::new(TWILIO_AUTH_TOKEN)).sign(&websocket_url(url), SignedBody::Empty);
        let mut request = format!("ws://{}{TWILIO_MEDIA_PATH}", self.listener).into_client_request().unwrap();
        request.headers_mut().insert("x-twilio-signature", signature.parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let (mut sink, mut stream) = socket.split();
        let text = |value: serde_json::Value| Message::Text(value.to_string().into());
        sink.send(text(json!({"event": "connected", "protocol": "Call", "version": "1.0.0"}))).await.unwrap();
        let start = json!({"event": "start", "sequenceNumber": "1", "streamSid": STREAM_SID,
            "start": {"accountSid": ACCOUNT, "streamSid": STREAM_SID, "callSid": CALL_SID,
                      "tracks": ["inbound", "outbound"],
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                      "customParameters": parameters}});
        sink.send(text(start)).await.unwrap();
        *self.closed_with.lock().unwrap() = None;
        let mut stopped = self.stopped.subscribe();
        let mut ticks = tokio::time::interval(Duration::from_millis(20));
        let mut sequence = 1_u64;
        for n in 0_u8..100 {
            tokio::select! {
                biased;
                message = stream.next() => {
                    *self.closed_with.lock().unwrap() = Some(close_code(message));
                    return;
                }
                () = async { let _stopped = stopped.wait_for(|stopped| *stopped).await; } => break,
                _ = ticks.tick() => {
                    for (track, fill) in [("inbound", n), ("outbound", 128 + n)] {
                        sequence += 1;
                        let media = json!({"event": "media", "sequenceNumber": sequence.to_string(), "streamSid": STREAM_SID,
                            "media": {"track": track, "chunk": (n + 1).to_string(), "timestamp": (u64::from(n) * 20).to_string(),
                                      "payload": BASE64.encode([fill; FRAME_BYTES])}});
                        if sink.send(text(media)).await.is_err() {
                            // The listener closed the socket: read why.
                            *self.closed_with.lock().unwrap() = Some(close_code(stream.next().await));
                            return;
                        }
                    }
                }
            }
        }
        let stop = json!({"event": "stop", "sequenceNumber": (sequence + 1).to_string(), "streamSid": STREAM_SID,
                          "stop": {"accountSid": ACCOUNT, "callSid": CALL_SID}});
        let _sent = sink.send(text(stop)).await;
        let _closed = sink.close().await;
        *self.closed_with.lock().unwrap() = Some(None);
    }
}

/// The close code in what the listener sent, when it is a close frame.
fn close_code(message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Option<u16> {
    match message {
        Some(Ok(Message::Close(frame))) => frame.map(|frame| u16::from(frame.code)),
        _ => None,
    }
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|value| value.to_str().ok()).is_some_and(|value| value.starts_with("Basic "))
}

async fn start_stream(
    State(streams): State<TwilioStreams>,
    Path((_account, call)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    if !authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
        );
    }
    let form = form(&body);
    streams.requests.lock().unwrap().push((format!("/Calls/{call}/Streams.json"), form.clone()));
    let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let mut parameters = BTreeMap::new();
    for n in 1..=99 {
        let (Some(name), Some(value)) = (field(&format!("Parameter{n}.Name")), field(&format!("Parameter{n}.Value")))
        else {
            break;
        };
        parameters.insert(name, value);
    }
    let url = field("Url").unwrap_or_default();
    streams.stopped.send_replace(false);
    let forking = streams.clone();
    tokio::spawn(async move { forking.fork(&url, parameters).await });
    let stream = json!({"sid": STREAM_SID, "account_sid": ACCOUNT, "call_sid": call, "name": field("Name"),
                        "status": "in-progress", "date_updated": "Tue, 01 Dec 2026 14:00:00 +0000",
                        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Calls/{call}/Streams/{STREAM_SID}.json")});
    (StatusCode::CREATED, axum::Json(stream))
}

async fn stop_stream(
    State(streams): State<TwilioStreams>,
    Path((_account, call, stream)): Path<(String, String, String)>,
    body: Bytes,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    streams.requests.lock().unwrap().push((format!("/Calls/{call}/Streams/{stream}"), form(&body)));
    streams.stopped.send_replace(true);
    let sid = stream.trim_end_matches(".json");
    (StatusCode::OK, axum::Json(json!({"sid": sid, "call_sid": call, "name": null, "status": "stopped"})))
}

/// An ElevenLabs call in progress whose Twilio call is `CALL_SID` (as the backend records it).
fn hosted_call(store: &Store, twilio_sid: Option<&str>) -> CallId {
    let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let call = store
        .insert_call(&NewCall {
            contact_id: contact.id,
            agent_id: agent.id,
            backend: BackendKind::ElevenLabs,
            phone_e164: "+13125550100".into(),
            created_at: UnixMillis(1),
            campaign: None,
        })
        .unwrap();
    for state in [CallState::Dialing, CallState::Ringing, CallState::InProgress] {
        store.advance_call(call.id, state, None, UnixMillis(2)).unwrap();
    }
    if let Some(sid) = twilio_sid {
        store.set_provider_ref(call.id, TWILIO_CALL_REF, sid).unwrap();
    }
    call.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_call_is_heard_through_a_twilio_fork_that_stops_with_the_listening() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    let settings = RigSettings {
        responder: scripted(Vec::new()),
        ms_per_char: 10,
        script: Vec::new(),
        wrong_token: false,
        keep_audio: false,
    };
    let rig = PipelineRig::start(&mut engine, Arc::clone(&store), settings).await.unwrap();
    let (twilio, base_url) = TwilioStreams::start(rig.listener).await;
    let config = TwilioConfig {
        base_url,
        account_sid: ACCOUNT.into(),
        auth_token: Secret::new("twilio_rest_token"),
        api_key_sid: None,
    };
    let client = TwilioClient::new(config, &HttpSettings::default()).unwrap();
    let forking = HostedForking::new(client, PUBLIC_BASE, engine.live_audio().forks().clone());
    let call = hosted_call(&store, Some(CALL_SID));

    let (mut listening, stop) = listen_in(&engine, Some(&forking), call).await.unwrap().into_parts();
    let mut frames = Vec::new();
    while frames.len() < 40 {
        let frame = tokio::time::timeout(Duration::from_secs(5), listening.recv()).await.unwrap().unwrap();
        frames.push(frame);
    }
    let fills = |party: Party| frames.iter().filter(|f| f.party == party).map(|f| f.frame[0]).collect::<Vec<_>>();
    let (caller, agent) = (fills(Party::Caller), fills(Party::Agent));
    assert!(caller.len() >= 15 && agent.len() >= 15, "both tracks: {caller:?} {agent:?}");
    assert_eq!(caller, (0..caller.len() as u8).collect::<Vec<_>>(), "the callee's frames in order");
    assert_eq!(agent, (128..128 + agent.len() as u8).collect::<Vec<_>>(), "the agent's frames in order");

    stop.stop().await.unwrap();
    // The fork ends with its stop: the frames end.
    while tokio::time::timeout(Duration::from_secs(5), listening.recv()).await.unwrap().is_some() {}
    assert_eq!(listening.dropped_frames(), 0);

    let requests = twilio.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].0, format!("/Calls/{CALL_SID}/Streams.json"));
    let started: BTreeMap<_, _> = requests[0].1.iter().cloned().collect();
    assert_eq!(started["Url"], format!("wss://switchboard.example{TWILIO_MEDIA_PATH}"));
    assert_eq!(started["Track"], "both_tracks");
    assert_eq!(
        (started["Parameter1.Name"].as_str(), started["Parameter1.Value"].clone()),
        (MONITOR_PARAMETER, call.to_string())
    );
    assert_eq!(started["Parameter2.Name"], "token");
    let token = started["Parameter2.Value"].clone();
    assert_eq!(token.len(), 64, "a fresh 32-byte token");
    assert_eq!(requests[1].0, format!("/Calls/{CALL_SID}/Streams/{STREAM_SID}.json"));
    assert_eq!(requests[1].1, [("Status".to_owned(), "stopped".to_owned())]);

    // The fork's token went with it: a stream presenting it again is refused.
    let url = format!("{PUBLIC_BASE}{TWILIO_MEDIA_PATH}");
    let parameters =
        BTreeMap::from([(MONITOR_PARAMETER.to_owned(), call.to_string()), ("token".to_owned(), token.clone())]);
    twilio.stopped.send_replace(false);
    twilio.fork(&url, parameters).await;
    assert_eq!(*twilio.closed_with.lock().unwrap(), Some(Some(1008)));
}

#[tokio::test]
async fn calls_that_cannot_be_heard_say_why() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    let config = TwilioConfig {
        base_url: "http://127.0.0.1:9".into(),
        account_sid: ACCOUNT.into(),
        auth_token: Secret::new("twilio_rest_token"),
        api_key_sid: None,
    };
    let forking = HostedForking::new(
        TwilioClient::new(config, &HttpSettings::default()).unwrap(),
        PUBLIC_BASE,
        Default::default(),
    );

    let no_sid = hosted_call(&store, None);
    let error = listen_in(&engine, Some(&forking), no_sid).await.err().unwrap();
    assert!(matches!(error, ListenError::NoTwilioCall(id) if id == no_sid), "{error}");
    let hosted = hosted_call(&store, Some(CALL_SID));
    let error = listen_in(&engine, None, hosted).await.err().unwrap();
    assert!(matches!(error, ListenError::NoTwilio), "{error}");
    store.advance_call(hosted, CallState::Completed, Some("done"), UnixMillis(3)).unwrap();
    let error = listen_in(&engine, Some(&forking), hosted).await.err().unwrap();
    assert!(error.to_string().contains("only live calls"), "{error}");
    let error = listen_in(&engine, None, CallId(999)).await.err().unwrap();
    assert!(matches!(error, ListenError::NotFound(_)), "{error}");
}
