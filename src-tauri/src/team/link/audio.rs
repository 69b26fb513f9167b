//! The console's side of a call's audio on its team server: a recording fetched into a temporary
//! file for the player, and a live call's frames read from the server's listen-in WebSocket.

use std::io::Write as _;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::Value;
use switchboard_core::CallId;
use switchboard_engine::listen_in::LiveFrame;
use tempfile::NamedTempFile;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

use super::{Connected, Socket, answer, innermost, open_socket, team_error};
use crate::commands::Reply;
use crate::team::audio::decode;

/// How long closing a listen-in socket may wait for the server's answer.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

impl Connected {
    /// Fetches call `call`'s recording over the pinned TLS into a temporary file, removed when
    /// the file is dropped.
    pub async fn recording(&self, call: CallId) -> Reply<NamedTempFile> {
        let url = format!("{}/api/v1/recordings/{call}", self.connection.url);
        let response = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|err| team_error(format!("{} did not answer: {}", self.connection.url, innermost(&err))))?;
        if !response.status().is_success() {
            let status = response.status();
            let refused = answer::<Value>(response).await.err();
            return Err(refused.unwrap_or_else(|| team_error(format!("the team server answered {status}"))));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|err| team_error(format!("the recording of call {call} was cut short: {}", innermost(&err))))?;
        let written = tauri::async_runtime::spawn_blocking(move || {
            let mut file = NamedTempFile::new()?;
            file.write_all(&bytes)?;
            Ok::<_, std::io::Error>(file)
        })
        .await;
        match written {
            Ok(Ok(file)) => Ok(file),
            Ok(Err(err)) => Err(team_error(format!("cannot keep the recording of call {call} to play it: {err}"))),
            Err(err) => Err(team_error(format!("the recording of call {call} was not kept: {err}"))),
        }
    }

    /// Opens the server's WebSocket of call `call`'s live frames.
    pub async fn listen(&self, call: CallId) -> Reply<TeamFrames> {
        let path = format!("/api/v1/listen/{call}");
        match open_socket(&self.connection.url, &self.token, &self.tls, &path).await {
            Ok(socket) => Ok(TeamFrames { socket, cut_off: None }),
            Err(Error::Http(response)) => {
                let refused = response.body().as_deref().and_then(|body| serde_json::from_slice(body).ok());
                Err(refused.unwrap_or_else(|| team_error(format!("the team server answered {}", response.status()))))
            }
            Err(err) => Err(team_error(format!("{} did not answer: {err}", self.connection.url))),
        }
    }
}

/// A live call's frames from the team server, until it closes the socket (the call ended, or the
/// session did, or the node running the call was lost).
pub struct TeamFrames {
    socket: Socket,
    /// Why the frames stopped, when it was not the call's audio ending.
    cut_off: Option<String>,
}

impl TeamFrames {
    /// The next frame; `None` once the socket is closed.
    pub async fn recv(&mut self) -> Option<LiveFrame> {
        while let Some(message) = self.socket.next().await {
            match message {
                Ok(Message::Binary(wire)) => match decode(&wire) {
                    Some(frame) => return Some(frame),
                    None => tracing::debug!(bytes = wire.len(), "not a live frame: skipped"),
                },
                Ok(Message::Close(close)) => {
                    self.cut_off = close.filter(|close| close.code != CloseCode::Normal).map(|close| {
                        match close.reason.as_str() {
                            "" => format!("the team server stopped the listening (code {})", close.code),
                            reason => reason.to_owned(),
                        }
                    });
                    return None;
                }
                Err(err) => {
                    self.cut_off = Some(format!("the connection to the team server was lost: {err}"));
                    return None;
                }
                Ok(_) => {}
            }
        }
        self.cut_off = Some("the connection to the team server was lost".to_owned());
        None
    }

    /// Why the frames stopped, when it was not the call's audio ending (the node running the
    /// call lost, the session over, the connection lost).
    pub fn cut_off(&self) -> Option<&str> {
        self.cut_off.as_deref()
    }

    /// Closes the socket: the server stops sending (and lets the call's tap go when nobody else
    /// listens).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_WAIT, self.socket.close(None)).await;
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::extract::ws::{self, CloseFrame, WebSocketUpgrade};
    use axum::routing::get;
    use tokio_rustls::TlsAcceptor;

    use super::*;
    use crate::paths::DataPaths;
    use crate::team::trust::{self, ServerTrust};
    use crate::team::{api, tls};

    /// A team server on loopback whose listen-in sends one frame, then closes with `code` and
    /// `reason`.
    async fn closing_server(profile: &std::path::Path, code: u16, reason: &'static str) -> (String, String) {
        let tls = tls::load(&DataPaths::under(profile.to_owned()), None, None).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let router = Router::new().route(
            "/api/v1/listen/{call}",
            get(move |upgrade: WebSocketUpgrade| async move {
                upgrade.on_upgrade(move |mut socket| async move {
                    let frame = [1; crate::team::audio::WIRE_FRAME];
                    socket.send(ws::Message::Binary(frame.to_vec().into())).await.unwrap();
                    let _ = socket.send(ws::Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                })
            }),
        );
        tokio::spawn(api::serve(listener, TlsAcceptor::from(tls.config), router, std::future::pending()));
        (url, tls.fingerprint)
    }

    async fn frames_until_closed(code: u16, reason: &'static str) -> (usize, Option<String>) {
        let profile = tempfile::tempdir().unwrap();
        let (url, fingerprint) = closing_server(profile.path(), code, reason).await;
        let pinned = trust::client_config(Some(&ServerTrust::Pinned { fingerprint }), None);
        let socket = open_socket(&url, "token", &pinned, "/api/v1/listen/5").await.unwrap();
        let mut frames = TeamFrames { socket, cut_off: None };
        let mut heard = 0;
        while frames.recv().await.is_some() {
            heard += 1;
        }
        (heard, frames.cut_off().map(str::to_owned))
    }

    #[tokio::test]
    async fn listening_cut_off_says_why_and_a_call_that_ended_does_not() {
        let unreachable = "the node running call 5 is not reachable";
        assert_eq!(frames_until_closed(4502, unreachable).await, (1, Some(unreachable.to_owned())));
        assert_eq!(frames_until_closed(1000, "the call ended").await, (1, None));
    }
}
