//! Every request body is read whole before its handler runs: within the body limit (413), within
//! the body timeout from the end of the head (408), and with at most a few bodies from one client
//! address being read at once (429 past that), so requests whose bodies trickle in, or never
//! come, cannot hold the listener. A request without a body (`/health`, the media upgrade) goes
//! straight on.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, HttpBody as _};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use super::ListenerState;
use super::ingest::request_id;
use super::rate_limit::client_address;

/// The bodies being read now, per client address.
#[derive(Default)]
pub(super) struct BodiesBeingRead {
    per_client: Mutex<HashMap<IpAddr, usize>>,
}

/// One body being read; dropping it frees its place.
struct Reading<'a> {
    bodies: &'a BodiesBeingRead,
    client: IpAddr,
}

impl BodiesBeingRead {
    /// A place for a body from `client`, unless `most` are being read already.
    fn start(&self, client: IpAddr, most: usize) -> Option<Reading<'_>> {
        let mut per_client = self.lock();
        let reading = per_client.entry(client).or_default();
        if *reading >= most {
            return None;
        }
        *reading += 1;
        Some(Reading { bodies: self, client })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.per_client.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut per_client = self.bodies.lock();
        if let Some(reading) = per_client.get_mut(&self.client) {
            *reading -= 1;
            if *reading == 0 {
                per_client.remove(&self.client);
            }
        }
    }
}

/// Why a body was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyRefusal {
    TooLarge,
    TooSlow,
    TooManyAtOnce,
    Unreadable,
}

impl BodyRefusal {
    fn reason(self) -> &'static str {
        match self {
            Self::TooLarge => "body over the limit",
            Self::TooSlow => "body not sent in time",
            Self::TooManyAtOnce => "too many bodies being sent at once",
            Self::Unreadable => "body unreadable",
        }
    }

    /// The answer, logged in full when it is the first of its route and reason this minute
    /// (see [`Rejections`](super::rejections::Rejections)).
    fn respond(self, state: &ListenerState, request: &Parts) -> Response {
        let path = request.uri.path();
        if state.rejections.count(path, self.reason()) {
            tracing::warn!(request_id = request_id(&request.headers), path, reason = self.reason(), "request refused");
        }
        let status = match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooSlow => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyAtOnce => StatusCode::TOO_MANY_REQUESTS,
            Self::Unreadable => StatusCode::BAD_REQUEST,
        };
        (status, self.reason()).into_response()
    }
}

/// The middleware: reads the body, then hands the request on with it.
pub(super) async fn read_body(State(state): State<Arc<ListenerState>>, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let settings = &state.settings;
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse().ok());
    if declared.is_some_and(|length: usize| length > settings.body_limit_bytes) {
        return BodyRefusal::TooLarge.respond(&state, &parts);
    }
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
    let client = client_address(peer, &parts.headers);
    let Some(reading) = state.bodies.start(client, settings.max_bodies_read_per_client) else {
        return BodyRefusal::TooManyAtOnce.respond(&state, &parts);
    };
    let read = Limited::new(body, settings.body_limit_bytes).collect();
    let body = match tokio::time::timeout(settings.body_timeout, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return BodyRefusal::TooLarge.respond(&state, &parts);
        }
        Ok(Err(_)) => return BodyRefusal::Unreadable.respond(&state, &parts),
        Err(_elapsed) => return BodyRefusal::TooSlow.respond(&state, &parts),
    };
    drop(reading);
    next.run(Request::from_parts(parts, Body::from(body))).await
}

#[cfg(test)]
mod tests {
    use super::BodiesBeingRead;

    #[test]
    fn each_client_reads_at_most_its_share_and_a_finished_body_frees_its_place() {
        let bodies = BodiesBeingRead::default();
        let (a, b) = ("203.0.113.1".parse().unwrap(), "203.0.113.2".parse().unwrap());
        let first = bodies.start(a, 2).unwrap();
        let _second = bodies.start(a, 2).unwrap();
        assert!(bodies.start(a, 2).is_none());
        assert!(bodies.start(b, 2).is_some(), "another client has its own share");
        drop(first);
        assert!(bodies.start(a, 2).is_some());
    }
}
