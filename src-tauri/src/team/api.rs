//! The team server's HTTP API over TLS: `POST /api/v1/session` signs in, `POST /api/v1/ops/{name}`
//! runs an operation of the list with the JSON arguments the window would send,
//! `GET /api/v1/events` streams the engine's events over a WebSocket, and a call's audio has
//! routes of its own (`audio`). Every call is audited.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures_util::{Stream, StreamExt as _};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_engine::{EngineEvent, ErrorCode};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio_rustls::TlsAcceptor;

use super::accounts::{self, Member};
use super::audio::{self, ListenHubs};
use super::sign_in_limits::SignInLimits;
use crate::commands::{Reply, with_store};
use crate::console::Console;
use crate::dto::CommandError;
use crate::keychain::Keychain;
use crate::operations::{self, Ctx, Place, Role};

/// The largest request body (an imported workbook travels as a JSON array of bytes).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// A TLS handshake and a request head must each arrive within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an open WebSocket checks that its session still holds (not expired, not revoked).
const SESSION_CHECK: Duration = Duration::from_secs(2);
/// A console that takes no message for this long is let go (its socket closed).
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// The WebSocket close code a team socket (events, listen-in) ends with when its session no
/// longer holds; the console then asks to sign in again rather than opening the stream again.
pub const SESSION_ENDED: u16 = 4401;

/// What the API serves: the engine as the console would see it, with the server's keys.
pub struct TeamServer {
    pub console: Arc<Console>,
    pub keychain: Arc<Keychain>,
    pub limits: SignInLimits,
    /// The live calls consoles listen in on.
    pub listening: ListenHubs,
}

/// The API's routes.
pub fn router(server: Arc<TeamServer>) -> Router {
    Router::new()
        .route("/api/v1/session", post(sign_in))
        .route("/api/v1/ops/{operation}", post(operation))
        .route("/api/v1/events", get(events))
        .route("/api/v1/recordings/{call}", get(audio::recording))
        .route("/api/v1/listen/{call}", get(audio::listen))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(server)
}

/// Serves `router` over TLS on `listener` until `stop` completes.
pub async fn serve(listener: TcpListener, tls: TlsAcceptor, router: Router, stop: impl Future<Output = ()>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HANDSHAKE_TIMEOUT).keep_alive(true);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "the team server could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => return,
        };
        let (tls, http, router) = (tls.clone(), http.clone(), router.clone());
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => return tracing::debug!(%peer, %error, "TLS handshake refused"),
                Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
            };
            let service = TowerToHyperService::new(router.layer(Extension(ConnectInfo(peer))));
            if let Err(error) = http.serve_connection(TokioIo::new(stream), service).with_upgrades().await {
                tracing::debug!(%peer, %error, "team connection ended");
            }
        });
    }
}

#[derive(Deserialize)]
struct SignIn {
    name: String,
    password: String,
}

async fn sign_in(
    State(server): State<Arc<TeamServer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let Ok(SignIn { name, password }) = serde_json::from_slice(&body) else {
        return refuse(CommandError::new(ErrorCode::InvalidInput, "sign in with a JSON object of name and password"));
    };
    let address = peer.ip();
    if let Some(wait) = server.limits.locked(&name, address) {
        audited(&server.console, &name, "session", Err(ErrorCode::TooManyAttempts)).await;
        tracing::warn!(account = %name, %address, "team sign-in refused: too many failed attempts");
        return too_many_attempts(wait);
    }
    let account = name.clone();
    let session = with_store(&server.console, move |store| accounts::sign_in(store, &account, &password)).await;
    let answer = match session {
        Err(err) if err.code == ErrorCode::Unauthorized => match server.limits.failed(&name, address) {
            Some(wait) => Err((ErrorCode::TooManyAttempts, too_many_attempts(wait))),
            None => Err((err.code, refuse(err))),
        },
        Err(err) => Err((err.code, refuse(err))),
        Ok(session) => Ok((StatusCode::OK, axum::Json(session)).into_response()),
    };
    audited(&server.console, &name, "session", answer.as_ref().map(|_| ()).map_err(|(code, _)| *code)).await;
    tracing::info!(account = %name, %address, signed_in = answer.is_ok(), "team sign-in");
    answer.unwrap_or_else(|(_, refused)| refused)
}

/// 429 with `Retry-After`: too many failed sign-ins for the account or from the address.
fn too_many_attempts(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let err =
        CommandError::new(ErrorCode::TooManyAttempts, format!("too many failed sign-ins: try again in {seconds} s"));
    let mut refused = refuse(err);
    refused.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    refused
}

async fn operation(
    State(server): State<Arc<TeamServer>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let member = match member(&server.console, &headers).await {
        Ok(member) => member,
        Err(err) => {
            audited(&server.console, "(no session)", &name, Err(err.code)).await;
            return refuse(err);
        }
    };
    let answer = run(&server, &member, &name, &body).await;
    audited(&server.console, &member.name, &name, answer.as_ref().map(|_| ()).map_err(|err| err.code)).await;
    match answer {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(err) => refuse(err),
    }
}

/// Runs operation `name` for `member`: one of the list, allowed its role, not of the console's speakers.
async fn run(server: &TeamServer, member: &Member, name: &str, body: &[u8]) -> Reply<Value> {
    let operation = operations::find(name)
        .ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("there is no operation {name:?}")))?;
    if matches!(operation.place, Place::Speakers | Place::Desktop | Place::Console) {
        return Err(CommandError::new(
            ErrorCode::InvalidInput,
            format!("{name} is the console's own (its speakers, its link, its theme): not over a team server"),
        ));
    }
    if operation.place == Place::Heard {
        return Err(CommandError::new(
            ErrorCode::InvalidInput,
            format!("{name} plays on the console's speakers: its audio has a route of its own"),
        ));
    }
    if member.role < operation.role {
        return Err(CommandError::new(
            ErrorCode::Forbidden,
            format!("{} is a {}: {name} needs a {}", member.name, member.role.as_str(), operation.role.as_str()),
        ));
    }
    let args = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).map_err(|err| {
            CommandError::new(ErrorCode::InvalidInput, format!("the arguments of {name} are not JSON: {err}"))
        })?
    };
    let ctx = Ctx {
        console: &server.console,
        keychain: &server.keychain,
        desktop: None,
        member: Some(member),
        history: None,
    };
    operations::dispatch(&ctx, name, args).await
}

/// Streams the engine's events to a signed-in account, as the window gets them.
async fn events(State(server): State<Arc<TeamServer>>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let engine = match crate::commands::engine(&server.console) {
        Ok(engine) => engine,
        Err(err) => return refuse(err),
    };
    let (member, token) = match admitted(&server, &headers, "events", Role::Viewer).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    audited(&server.console, &member.name, "events", Ok(())).await;
    let events = engine.bus().subscribe();
    drop(engine);
    // Each event as `{"event": ...}`; `{"resync": missed}` when the stream fell behind, or
    // another node's events were lost on their way (the console re-reads, as the window does
    // on `engine-resync`).
    let frames = futures_util::stream::unfold(events, |mut events| async move {
        let frame = match events.recv().await {
            Ok(event) if *event == EngineEvent::EventsMissed => json!({ "resync": 0 }),
            Ok(event) => json!({ "event": &*event }),
            Err(RecvError::Lagged(missed)) => json!({ "resync": missed }),
            Err(RecvError::Closed) => return None,
        };
        Some((Message::Text(frame.to_string().into()), events))
    });
    let stopping = CloseFrame { code: close_code::AWAY, reason: "the team server is stopping".into() };
    upgrade.on_upgrade(move |socket| async move {
        let session = Session { server: &server, member: &member, token: &token, what: "events" };
        session.stream(socket, Box::pin(frames), stopping).await;
    })
}

/// A signed-in account's WebSocket: what it is for (`what`, as audited) and its session.
pub(super) struct Session<'a> {
    pub server: &'a TeamServer,
    pub member: &'a Member,
    pub token: &'a str,
    pub what: &'a str,
}

impl Session<'_> {
    /// Sends `frames` until they end (then closes with `ended`, or with the close they end with)
    /// or the console closes the socket; closes with `SESSION_ENDED` once the session has expired
    /// or was revoked. A console that takes no message for `SEND_TIMEOUT` is let go.
    pub async fn stream(
        &self,
        mut socket: WebSocket,
        mut frames: impl Stream<Item = Message> + Unpin,
        ended: CloseFrame,
    ) {
        let mut checks = tokio::time::interval(SESSION_CHECK);
        let close = loop {
            let frame = tokio::select! {
                frame = frames.next() => match frame {
                    Some(Message::Close(close)) => break close,
                    Some(frame) => frame,
                    None => break Some(ended),
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                    Some(Ok(_)) => continue,
                },
                _ = checks.tick() => match session_holds(&self.server.console, self.token).await {
                    Ok(()) => continue,
                    Err(err) => {
                        let closed = format!("{} closed", self.what);
                        audited(&self.server.console, &self.member.name, &closed, Err(err.code)).await;
                        break Some(CloseFrame { code: SESSION_ENDED, reason: err.message.into() });
                    }
                },
            };
            match tokio::time::timeout(SEND_TIMEOUT, socket.send(frame)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break None,
                Err(_) => {
                    tracing::info!(account = %self.member.name, what = self.what, "a console stopped reading: let go");
                    break None;
                }
            }
        };
        if let Some(close) = close {
            let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(close)))).await;
        }
    }
}

/// The account `headers` sign in and its token, when its role may do `what`; else the refusal,
/// audited.
pub(super) async fn admitted(
    server: &TeamServer,
    headers: &HeaderMap,
    what: &str,
    role: Role,
) -> Result<(Member, String), Response> {
    let member = match member(&server.console, headers).await {
        Ok(member) => member,
        Err(err) => {
            audited(&server.console, "(no session)", what, Err(err.code)).await;
            return Err(refuse(err));
        }
    };
    if member.role < role {
        audited(&server.console, &member.name, what, Err(ErrorCode::Forbidden)).await;
        let why = format!("{} is a {}: {what} needs a {}", member.name, member.role.as_str(), role.as_str());
        return Err(refuse(CommandError::new(ErrorCode::Forbidden, why)));
    }
    Ok((member, bearer(headers).unwrap_or_default()))
}

/// The account the request's bearer token signs in.
async fn member(console: &Console, headers: &HeaderMap) -> Reply<Member> {
    let token = bearer(headers)
        .ok_or_else(|| CommandError::new(ErrorCode::Unauthorized, "sign in first: no bearer token was sent"))?;
    with_store(console, move |store| accounts::member(store, &token)).await
}

/// Whether `token`'s session still holds; a store that cannot answer is not a reason to close.
async fn session_holds(console: &Console, token: &str) -> Reply<()> {
    let token = token.to_owned();
    match with_store(console, move |store| accounts::member(store, &token)).await {
        Err(err) if err.code == ErrorCode::Unauthorized => Err(err),
        _ => Ok(()),
    }
}

/// The request's bearer token, if it sent one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned)
}

pub(super) async fn audited(console: &Console, who: &str, operation: &str, outcome: Result<(), ErrorCode>) {
    let (who, operation) = (who.to_owned(), operation.to_owned());
    let recorded = with_store(console, move |store| {
        accounts::audit(store, &who, &operation, outcome);
        Ok::<_, CommandError>(())
    });
    if let Err(err) = recorded.await {
        tracing::error!(error = %err.message, "could not write the audit log");
    }
}

/// An error as `{code, message, fields}` with the status its code means.
pub(super) fn refuse(err: CommandError) -> Response {
    let status = match err.code {
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Storage | ErrorCode::KeychainUnavailable => StatusCode::INTERNAL_SERVER_ERROR,
        // On a team server: another node of the team (running the call) failed it.
        ErrorCode::TeamServer => StatusCode::BAD_GATEWAY,
        ErrorCode::BackendUnavailable | ErrorCode::BackendFailed | ErrorCode::AudioUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::InvalidInput
        | ErrorCode::InvalidPhone
        | ErrorCode::DoNotCall
        | ErrorCode::MissingVariables
        | ErrorCode::OverCallLimit => StatusCode::UNPROCESSABLE_ENTITY,
    };
    (status, axum::Json(err)).into_response()
}
