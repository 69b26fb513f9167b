//! The team server's HTTP API over TLS: `POST /api/v1/session` signs in, `POST /api/v1/ops/{name}`
//! runs an operation of the list with the JSON arguments the window would send, and
//! `GET /api/v1/events` streams the engine's events over a WebSocket. Every call is audited.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_engine::{Engine, ErrorCode};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio_rustls::TlsAcceptor;

use super::accounts::{self, Member};
use super::sign_in_limits::SignInLimits;
use crate::commands::{Reply, with_store};
use crate::console::Console;
use crate::dto::CommandError;
use crate::keychain::Keychain;
use crate::operations::{self, Ctx, Place};

/// The largest request body (an imported workbook travels as a JSON array of bytes).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// A TLS handshake and a request head must each arrive within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an open event stream checks that its session still holds (not expired, not revoked).
const SESSION_CHECK: Duration = Duration::from_secs(2);
/// The WebSocket close code an event stream ends with when its session no longer holds; the
/// console then asks to sign in again rather than opening the stream again.
pub const SESSION_ENDED: u16 = 4401;

/// What the API serves: the engine as the console would see it, with the server's keys.
pub struct TeamServer {
    pub console: Arc<Console>,
    pub keychain: Arc<Keychain>,
    pub limits: SignInLimits,
}

/// The API's routes.
pub fn router(server: Arc<TeamServer>) -> Router {
    Router::new()
        .route("/api/v1/session", post(sign_in))
        .route("/api/v1/ops/{operation}", post(operation))
        .route("/api/v1/events", get(events))
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
    let member = match member(&server.console, &headers).await {
        Ok(member) => member,
        Err(err) => {
            audited(&server.console, "(no session)", "events", Err(err.code)).await;
            return refuse(err);
        }
    };
    audited(&server.console, &member.name, "events", Ok(())).await;
    let token = bearer(&headers).unwrap_or_default();
    upgrade.on_upgrade(move |socket| stream_events(socket, engine, server, member, token))
}

/// Each event as `{"event": ...}`; `{"resync": missed}` when the stream fell behind (the
/// console re-reads, as the window does on `engine-resync`). The stream closes with
/// `SESSION_ENDED` once `token`'s session has expired or was revoked.
async fn stream_events(
    mut socket: WebSocket,
    engine: Arc<Engine>,
    server: Arc<TeamServer>,
    member: Member,
    token: String,
) {
    let mut events = engine.bus().subscribe();
    drop(engine);
    let mut checks = tokio::time::interval(SESSION_CHECK);
    loop {
        let frame = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => json!({ "event": &*event }),
                Err(RecvError::Lagged(missed)) => json!({ "resync": missed }),
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            _ = checks.tick() => match session_holds(&server.console, &token).await {
                Ok(()) => continue,
                Err(err) => {
                    audited(&server.console, &member.name, "events closed", Err(err.code)).await;
                    let reason = CloseFrame { code: SESSION_ENDED, reason: err.message.into() };
                    let _ = socket.send(Message::Close(Some(reason))).await;
                    break;
                }
            },
        };
        if socket.send(Message::Text(frame.to_string().into())).await.is_err() {
            break;
        }
    }
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

async fn audited(console: &Console, who: &str, operation: &str, outcome: Result<(), ErrorCode>) {
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
fn refuse(err: CommandError) -> Response {
    let status = match err.code {
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Storage | ErrorCode::KeychainUnavailable | ErrorCode::TeamServer => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
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
