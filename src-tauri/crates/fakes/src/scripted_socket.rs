//! A scripted loopback WebSocket server for the streaming clients: it refuses the first handshakes as
//! scripted (status, `Retry-After`, body), records every handshake, and hands each upgraded
//! socket to the test's script.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::serving::{bind, serve};

type Script = Box<dyn Fn(WebSocket) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A handshake answered with an HTTP error instead of an upgrade.
pub struct Refusal {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub body: &'static str,
}

/// One upgrade request as the server received it.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
}

impl Handshake {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().expect("ASCII header"))
    }
}

struct FakeState {
    refusals: Mutex<VecDeque<Refusal>>,
    handshakes: Mutex<Vec<Handshake>>,
    script: Script,
}

pub struct SocketFake {
    pub base_url: String,
    state: Arc<FakeState>,
}

impl SocketFake {
    /// Refuses the first handshakes with `refusals`, then runs `script` on every socket.
    pub async fn start<Run, Ran>(refusals: Vec<Refusal>, script: Run) -> Self
    where
        Run: Fn(WebSocket) -> Ran + Send + Sync + 'static,
        Ran: Future<Output = ()> + Send + 'static,
    {
        let state = Arc::new(FakeState {
            refusals: Mutex::new(refusals.into()),
            handshakes: Mutex::default(),
            script: Box::new(move |socket| Box::pin(script(socket))),
        });
        let app = Router::new().fallback(upgrade).with_state(Arc::clone(&state));
        let (listener, base_url) = bind().await.expect("bind loopback");
        serve(listener, app, "scripted socket");
        Self { base_url, state }
    }

    pub fn handshakes(&self) -> Vec<Handshake> {
        self.state.handshakes.lock().expect("handshakes lock").clone()
    }

    /// The only handshake received.
    pub fn single(&self) -> Handshake {
        let handshakes = self.handshakes();
        assert_eq!(handshakes.len(), 1, "expected exactly one handshake: {handshakes:#?}");
        handshakes.into_iter().next().expect("one handshake")
    }
}

async fn upgrade(State(state): State<Arc<FakeState>>, uri: Uri, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let uri = uri.path_and_query().map_or_else(|| uri.path().to_owned(), ToString::to_string);
    state.handshakes.lock().expect("handshakes lock").push(Handshake { uri, headers });
    let refusal = state.refusals.lock().expect("refusals lock").pop_front();
    if let Some(refusal) = refusal {
        let mut response = (StatusCode::from_u16(refusal.status).expect("a status"), refusal.body).into_response();
        if let Some(seconds) = refusal.retry_after {
            response.headers_mut().insert("retry-after", seconds.parse().expect("header value"));
        }
        return response;
    }
    ws.on_upgrade(move |socket| async move { (state.script)(socket).await })
}

/// A JSON text frame.
pub fn text(value: serde_json::Value) -> Message {
    Message::Text(value.to_string().into())
}

/// A close frame.
pub fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

/// Reads frames until one `is_last` is seen (it included) or the client goes away.
pub async fn receive_until(socket: &mut WebSocket, is_last: impl Fn(&Message) -> bool) -> Vec<Message> {
    let mut received = Vec::new();
    while let Some(Ok(message)) = socket.recv().await {
        let last = is_last(&message);
        received.push(message);
        if last {
            break;
        }
    }
    received
}
