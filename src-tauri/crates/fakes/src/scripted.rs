//! A scripted loopback provider: an axum server on 127.0.0.1 that records every request and
//! answers from a script, so tests can assert the exact requests a client sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::serving::{bind, serve};

/// A scripted answer.
#[derive(Clone)]
pub struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::bytes(status, "application/json", body.to_string().into_bytes())
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("a valid status"),
            headers: vec![("content-type", content_type.to_owned())],
            body,
            delay: Duration::ZERO,
        }
    }

    pub fn empty(status: u16) -> Self {
        Self::bytes(status, "text/plain", Vec::new())
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Answer only after `delay` (to trip the client's timeout).
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().expect("ASCII header"))
    }

    /// The form body as ordered pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    /// The answer once `replies` are all given, if any.
    standing: Option<Reply>,
    requests: Mutex<Vec<Recorded>>,
}

pub struct Loopback {
    pub base_url: String,
    script: Arc<Script>,
}

impl Loopback {
    /// Serves `replies` in order; a request past the script gets a 599 so the test fails loudly.
    pub async fn start(replies: Vec<Reply>) -> Self {
        Self::serve(Script { replies: Mutex::new(replies.into()), ..Script::default() }).await
    }

    /// Answers every request with `reply`.
    pub async fn always(reply: Reply) -> Self {
        Self::serve(Script { standing: Some(reply), ..Script::default() }).await
    }

    async fn serve(script: Script) -> Self {
        let script = Arc::new(script);
        let app = Router::new().fallback(answer).with_state(Arc::clone(&script));
        let (listener, base_url) = bind().await.expect("bind loopback");
        serve(listener, app, "scripted");
        Self { base_url, script }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.script.requests.lock().expect("requests lock").clone()
    }

    /// The only request received.
    pub fn single(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected exactly one request: {requests:#?}");
        requests.into_iter().next().expect("one request")
    }
}

async fn answer(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let uri = uri.path_and_query().map_or_else(|| uri.path().to_owned(), ToString::to_string);
    script.requests.lock().expect("requests lock").push(Recorded { method, uri, headers, body, at });
    let reply = script.replies.lock().expect("replies lock").pop_front().or_else(|| script.standing.clone());
    let Some(reply) = reply else {
        return (StatusCode::from_u16(599).expect("599"), "no scripted reply left").into_response();
    };
    tokio::time::sleep(reply.delay).await;
    let mut response = (reply.status, reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().expect("header value"));
    }
    response
}
