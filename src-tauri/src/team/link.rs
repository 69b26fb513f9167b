//! The console's link to a team server: TLS trusted the system's way or pinned to the certificate
//! fingerprint the dispatcher confirmed (`trust`), every operation forwarded as
//! `POST /api/v1/ops/{name}`, and the server's event stream relayed into the window's own `engine-event` / `engine-resync` events. The server, the
//! account and how the server is trusted are kept in the profile (`team.json`); the token in the OS keychain.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt as _;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_engine::ErrorCode;
use tauri::{AppHandle, Emitter as _};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::{Error, Message};
use ts_rs::TS;

mod audio;

pub use audio::TeamFrames;

use super::api::SESSION_ENDED;
use super::offline::HistoryCopy;
use super::trust::{self, CertificateCheck, ServerTrust};
use crate::commands::Reply;
use crate::dto::CommandError;
use crate::events::{ENGINE_EVENT, RESYNC_EVENT, SESSION_ENDED_EVENT};
use crate::operations::Role;

/// How long an operation may take on the server (a rehearsal runs many calls).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the server may take to accept a connection before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The first wait before the event stream is opened again after it closed; it doubles while
/// the stream cannot be opened, up to `RECONNECT_MAX`.
const RECONNECT: Duration = Duration::from_secs(1);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// The team server the console is signed in to, as Settings and the window's header show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamConnection {
    /// `https://host:port`.
    pub url: String,
    pub name: String,
    /// `viewer`, `dispatcher` or `admin`: the window disables what the role cannot do.
    pub role: String,
    /// How its certificate is trusted.
    pub trust: ServerTrust,
}

/// The console's link: none (this computer's engine), or the server it forwards to.
#[derive(Default)]
pub struct TeamLink {
    connected: Mutex<Option<Arc<Connected>>>,
}

/// A signed-in link.
pub struct Connected {
    pub connection: TeamConnection,
    /// The offline copy of the server's History for this account.
    pub history: HistoryCopy,
    http: reqwest::Client,
    token: String,
    tls: Arc<ClientConfig>,
    relay: tauri::async_runtime::JoinHandle<()>,
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

impl TeamLink {
    /// The server signed in to, if any.
    pub fn current(&self) -> Option<Arc<Connected>> {
        self.connected.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Links to `connection` with `token`, relaying its events to the window from now on and
    /// keeping History's answers in the profile at `root`.
    pub fn connect(&self, app: &AppHandle, root: &Path, connection: TeamConnection, token: String) -> Reply<()> {
        let tls = trust::client_config(Some(&connection.trust), None);
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(OPERATION_TIMEOUT)
            .build()
            .map_err(|err| team_error(format!("cannot set up the connection: {err}")))?;
        let relay =
            tauri::async_runtime::spawn(relay_events(app.clone(), connection.clone(), token.clone(), Arc::clone(&tls)));
        let history = HistoryCopy::new(root, &connection);
        let connected = Connected { connection, history, http, token, tls, relay };
        *self.connected.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(connected));
        Ok(())
    }
}

/// Why a request got no answer from the team server: refused, timed out, TLS failed or cut off.
#[derive(Debug)]
pub struct Unreachable(pub String);

impl Connected {
    /// Runs operation `name` on the server with the window's own arguments: its answer (or its
    /// refusal: 401 and 403 among them), or why the server could not be reached.
    pub async fn forward(&self, name: &str, args: Value) -> Result<Reply<Value>, Unreachable> {
        let url = format!("{}/api/v1/ops/{name}", self.connection.url);
        let sent = self.http.post(url).bearer_auth(&self.token).json(&args).send().await;
        let response = sent.map_err(|err| Unreachable(innermost(&err)))?;
        Ok(answer(response).await)
    }
}

/// Reads the server's answer: its JSON, or its `{code, message, fields}`.
async fn answer<T: for<'de> Deserialize<'de>>(response: reqwest::Response) -> Reply<T> {
    let status = response.status();
    let body = response.bytes().await.map_err(|err| team_error(format!("the answer was cut short: {err}")))?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|err| team_error(format!("the answer is not readable: {err}")));
    }
    Err(serde_json::from_slice::<CommandError>(&body)
        .unwrap_or_else(|_| team_error(format!("the team server answered {status}"))))
}

/// Signs `name` in at `url` over TLS pinned to `fingerprint`, or with none trusted the system's
/// way: the connection and its token.
pub async fn sign_in(
    url: &str,
    name: &str,
    password: &str,
    fingerprint: Option<&str>,
) -> Reply<(TeamConnection, String)> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Session {
        token: String,
        role: Role,
    }
    let trust = match fingerprint {
        Some(fingerprint) => ServerTrust::Pinned { fingerprint: fingerprint.to_owned() },
        None => match certificate_check(url).await? {
            CertificateCheck::System { issuer } => ServerTrust::System { issuer },
            CertificateCheck::Untrusted { reason, .. } => {
                return Err(team_error(format!(
                    "this computer does not trust the certificate of {url}: {reason}. Check the certificate, compare \
                     its fingerprint with the one serve --team printed, and trust it"
                )));
            }
        },
    };
    let http = reqwest::Client::builder()
        .use_preconfigured_tls((*trust::client_config(Some(&trust), None)).clone())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|err| team_error(format!("cannot set up the connection: {err}")))?;
    let response = http
        .post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({ "name": name, "password": password }))
        .send()
        .await
        .map_err(|err| team_error(format!("cannot sign in at {url}: {}", innermost(&err))))?;
    let session: Session = answer(response).await?;
    let connection =
        TeamConnection { url: url.to_owned(), name: name.to_owned(), role: session.role.as_str().to_owned(), trust };
    Ok((connection, session.token))
}

/// What this computer makes of the certificate the server at `url` presents: trusted by the
/// system (its issuer), or its SHA-256 fingerprint for the dispatcher to compare with the one
/// `serve --team` printed before pinning it.
pub async fn certificate_check(url: &str) -> Reply<CertificateCheck> {
    let seen = Arc::new(Mutex::new(None));
    let config = trust::client_config(None, Some(Arc::clone(&seen)));
    tls_connect(url, config).await.map_err(team_error)?;
    let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).take();
    seen.ok_or_else(|| team_error(format!("{url} showed no certificate")))
}

/// A TLS connection to the server at `url` on `config`, else why not.
pub(super) async fn tls_connect(
    url: &str,
    config: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let (host, port) = host_and_port(url).map_err(|err| err.message)?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| format!("{url} did not answer within {} s", CONNECT_TIMEOUT.as_secs()))?
        .map_err(|err| format!("cannot reach {url}: {err}"))?;
    let name = ServerName::try_from(host).map_err(|err| format!("{url}: {err}"))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|err| format!("no secure connection to {url}: {err}"))
}

/// A team server's address as typed: `https://host:port` (no path), else why not.
pub fn server_url(text: &str) -> Reply<String> {
    let url = text.trim().trim_end_matches('/');
    let rest = url.strip_prefix("https://").ok_or_else(|| invalid_url(url))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(invalid_url(url));
    }
    host_and_port(url)?;
    Ok(url.to_owned())
}

fn host_and_port(url: &str) -> Reply<(String, u16)> {
    let rest = url.strip_prefix("https://").ok_or_else(|| invalid_url(url))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
            (host, port.parse::<u16>().map_err(|_| invalid_url(url))?)
        }
        _ => (rest, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(invalid_url(url));
    }
    Ok((host.to_owned(), port))
}

fn invalid_url(url: &str) -> CommandError {
    CommandError::invalid(vec![switchboard_core::FieldError::new(
        "teamUrl",
        format!("{url:?} is not a team server's address: write it like https://team.example:8443"),
    )])
}

/// Relays the server's events to the window until the link is dropped, opening the stream again
/// when it closes (the window re-reads then, as on a missed event); when the server closes it
/// because the session ended, the window is told to sign in again and the relay stops.
async fn relay_events(app: AppHandle, connection: TeamConnection, token: String, tls: Arc<ClientConfig>) {
    let mut wait = RECONNECT;
    loop {
        match stream_events(&app, &connection, &token, &tls).await {
            Ok(Closed::SessionEnded(reason)) => {
                tracing::info!(server = %connection.url, %reason, "the team session ended");
                let ended = CommandError::new(ErrorCode::Unauthorized, reason);
                if let Err(err) = app.emit(SESSION_ENDED_EVENT, ended) {
                    tracing::warn!(error = %err, "could not tell the window the session ended");
                }
                return;
            }
            Ok(Closed::ByServer) => {
                tracing::info!(server = %connection.url, "the team server closed the event stream");
                wait = RECONNECT;
            }
            Err(reason) => {
                tracing::warn!(server = %connection.url, %reason, retry_in = ?wait, "team event stream lost");
                wait = (wait * 2).min(RECONNECT_MAX);
            }
        }
        if let Err(err) = app.emit(RESYNC_EVENT, 0) {
            tracing::warn!(error = %err, "could not ask the window to re-read");
        }
        tokio::time::sleep(wait).await;
    }
}

/// How an event stream ended without failing.
enum Closed {
    /// The server closed it (it stops, say): open it again.
    ByServer,
    /// The session expired or was revoked, for this reason: sign in again.
    SessionEnded(String),
}

async fn stream_events(
    app: &AppHandle,
    connection: &TeamConnection,
    token: &str,
    tls: &Arc<ClientConfig>,
) -> Result<Closed, String> {
    let mut socket = match open_socket(&connection.url, token, tls, "/api/v1/events").await {
        Ok(socket) => socket,
        Err(Error::Http(response)) if response.status() == StatusCode::UNAUTHORIZED => {
            return Ok(Closed::SessionEnded("the session is unknown or has expired: sign in again".to_owned()));
        }
        Err(err) => return Err(err.to_string()),
    };
    // The window re-reads what it may have missed before the stream opened.
    let _ = app.emit(RESYNC_EVENT, 0);
    while let Some(frame) = socket.next().await {
        let text = match frame.map_err(|err| err.to_string())? {
            Message::Text(text) => text,
            Message::Close(Some(close)) if u16::from(close.code) == SESSION_ENDED => {
                return Ok(Closed::SessionEnded(close.reason.to_string()));
            }
            _ => continue,
        };
        let frame: Value = serde_json::from_str(&text).map_err(|err| err.to_string())?;
        let sent = match (frame.get("event"), frame.get("resync")) {
            (Some(event), _) => app.emit(ENGINE_EVENT, event),
            (None, Some(missed)) => app.emit(RESYNC_EVENT, missed),
            (None, None) => continue,
        };
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not send an event to the console");
        }
    }
    Ok(Closed::ByServer)
}

/// A WebSocket to a team server, over TLS.
pub(super) type Socket = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket at `path` of the server at `url` with `token`, over `tls`.
pub(super) async fn open_socket(url: &str, token: &str, tls: &Arc<ClientConfig>, path: &str) -> Result<Socket, Error> {
    let mut request = format!("wss://{}{path}", url.trim_start_matches("https://")).into_client_request()?;
    let bearer = format!("Bearer {token}").parse().map_err(|_| Error::Io(std::io::Error::other("the token")))?;
    request.headers_mut().insert("authorization", bearer);
    let stream = tls_connect(url, Arc::clone(tls)).await.map_err(|err| Error::Io(std::io::Error::other(err)))?;
    Ok(tokio_tungstenite::client_async(request, stream).await?.0)
}

fn team_error(message: String) -> CommandError {
    CommandError::new(ErrorCode::TeamServer, message)
}

/// The innermost cause of a request's failure (reqwest's own says only "error sending request").
fn innermost(err: &reqwest::Error) -> String {
    std::iter::successors(Some(err as &dyn std::error::Error), |err| err.source())
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Where the link is kept in the profile.
pub fn saved_path(root: &Path) -> PathBuf {
    root.join("team.json")
}

/// The team server this profile was signed in to, if any.
pub fn saved(root: &Path) -> Option<TeamConnection> {
    /// `team.json` as written now, or before how the server is trusted was kept (then always
    /// pinned to `fingerprint`).
    #[derive(Deserialize)]
    struct Saved {
        url: String,
        name: String,
        role: String,
        trust: Option<ServerTrust>,
        fingerprint: Option<String>,
    }
    let text = std::fs::read_to_string(saved_path(root)).ok()?;
    let saved: Saved =
        serde_json::from_str(&text).map_err(|err| tracing::warn!(error = %err, "team.json is unreadable")).ok()?;
    let trust = match (saved.trust, saved.fingerprint) {
        (Some(trust), _) => trust,
        (None, Some(fingerprint)) => ServerTrust::Pinned { fingerprint },
        (None, None) => {
            tracing::warn!("team.json says neither how the server is trusted nor its fingerprint");
            return None;
        }
    };
    Some(TeamConnection { url: saved.url, name: saved.name, role: saved.role, trust })
}

/// Keeps (or with none, forgets) the team server this profile is signed in to.
pub fn save(root: &Path, connection: Option<&TeamConnection>) -> Reply<()> {
    let path = saved_path(root);
    let written = match connection {
        Some(connection) => serde_json::to_vec_pretty(connection)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&path, bytes)),
        None => match std::fs::remove_file(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        },
    };
    written.map_err(|err| CommandError::new(ErrorCode::Storage, format!("cannot write {}: {err}", path.display())))
}

#[cfg(test)]
mod tests {
    use tokio_rustls::TlsAcceptor;

    use super::*;
    use crate::paths::DataPaths;
    use crate::team::tls;

    /// A TLS server on loopback with a profile's self-signed certificate, accepting handshakes.
    async fn tls_server(profile: &Path) -> (String, String) {
        let tls = tls::load(&DataPaths::under(profile.to_owned()), None, None).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let acceptor = TlsAcceptor::from(tls.config);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move { acceptor.accept(stream).await });
            }
        });
        (url, tls.fingerprint)
    }

    #[tokio::test]
    async fn the_certificate_shown_is_the_servers_and_another_one_is_refused_once_pinned() {
        let (ours, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (url, served) = tls_server(ours.path()).await;
        let (_, elsewhere) = tls_server(other.path()).await;
        assert_ne!(served, elsewhere, "each profile makes its own certificate");
        let CertificateCheck::Untrusted { fingerprint, .. } = certificate_check(&url).await.unwrap() else {
            panic!("a self-signed certificate is not the system's to trust");
        };
        assert_eq!(fingerprint, served);

        let refused = sign_in(&url, "ana", "password", Some(&elsewhere)).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::TeamServer);
        assert!(refused.message.contains("certificate changed"), "{}", refused.message);
        assert!(refused.message.contains(&served), "it names the certificate shown: {}", refused.message);
    }

    #[test]
    fn a_server_address_is_https_with_a_host_and_at_most_a_port() {
        assert_eq!(server_url(" https://team.example:8443/ ").unwrap(), "https://team.example:8443");
        assert_eq!(host_and_port("https://127.0.0.1:9000").unwrap(), ("127.0.0.1".to_owned(), 9000));
        assert_eq!(host_and_port("https://team.example").unwrap(), ("team.example".to_owned(), 443));
        for wrong in ["http://team.example", "https://", "https://team.example/api", "https://team.example:port"] {
            let refused = server_url(wrong).unwrap_err();
            assert_eq!(refused.fields[0].field, "teamUrl", "{wrong}");
        }
    }
}
