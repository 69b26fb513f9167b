//! The console's side of a call's audio on its team server: a recording fetched into a temporary
//! file for the player, and a live call's frames read from the server's listen-in WebSocket.

use std::io::Write as _;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::Value;
use switchboard_core::CallId;
use switchboard_engine::listen_in::LiveFrame;
use tempfile::NamedTempFile;
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
            Ok(socket) => Ok(TeamFrames { socket }),
            Err(Error::Http(response)) => {
                let refused = response.body().as_deref().and_then(|body| serde_json::from_slice(body).ok());
                Err(refused.unwrap_or_else(|| team_error(format!("the team server answered {}", response.status()))))
            }
            Err(err) => Err(team_error(format!("{} did not answer: {err}", self.connection.url))),
        }
    }
}

/// A live call's frames from the team server, until it closes the socket (the call ended, or the
/// session did).
pub struct TeamFrames {
    socket: Socket,
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
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    }

    /// Closes the socket: the server stops sending (and lets the call's tap go when nobody else
    /// listens).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_WAIT, self.socket.close(None)).await;
    }
}
