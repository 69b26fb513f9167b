//! Speech-gather calls' routes: Twilio's voice URL and the gather action, answered with TwiML.
//! Both are signed; neither goes to the inbox.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use switchboard_core::CallId;
use switchboard_providers::twilio::{GatherResult, Twiml, TwimlResponse};

use super::ListenerState;
use super::ingest::request_id;
use super::verify::{public_url, verify_twilio};
use crate::backends::twilio::twilio_body;
use crate::backends::webhook::SignedRequest;
use crate::gather::{GatherRefusal, GatherStep, TWILIO_GATHER_PATH, TWILIO_VOICE_PATH};

/// The voice URL and the gather action.
pub(super) fn routes() -> Router<Arc<ListenerState>> {
    Router::new().route(TWILIO_VOICE_PATH, get(voice).post(voice)).route(TWILIO_GATHER_PATH, post(gather))
}

/// Twilio's voice URL. A speech-gather call (named by `?call=` or known by its Call SID) is
/// answered with its opening `<Gather>`; other calls get an empty `<Response/>` (Twilio ends the
/// call when it runs out of verbs): the dialer gives Ultravox and pipeline calls their TwiML when
/// it places them.
async fn voice(State(state): State<Arc<ListenerState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = request_id(&headers);
    if let Some(refusal) = refused(&state, &uri, &headers, &body, request_id, TWILIO_VOICE_PATH) {
        return refusal;
    }
    if let (Some(gather), Ok(result)) = (&state.gather, GatherResult::parse(&body)) {
        match gather.answer(GatherStep::Answered, call_in(&uri), result).await {
            Ok(twiml) => return twiml_response(&twiml),
            Err(GatherRefusal::NotGather(_)) => {}
            Err(refusal) => return gather_refused(refusal, request_id, TWILIO_VOICE_PATH),
        }
    }
    twiml_response(&TwimlResponse::new().render().expect("an empty response is valid TwiML"))
}

/// The refusal (logged, 403 or 503) of a request whose Twilio signature does not check out
/// against the public URL; `None` when it does.
fn refused(
    state: &ListenerState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    request_id: &str,
    path: &'static str,
) -> Option<Response> {
    let url = public_url(state, uri);
    let body = twilio_body(&SignedRequest { url: &url, headers, body });
    verify_twilio(state, &url, headers, body).err().map(|refusal| refusal.respond(state, request_id, path))
}

/// What a speech-gather call's `<Gather>` heard: answered with the agent's next TwiML.
async fn gather(State(state): State<Arc<ListenerState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = request_id(&headers);
    if let Some(refusal) = refused(&state, &uri, &headers, &body, request_id, TWILIO_GATHER_PATH) {
        return refusal;
    }
    let Some(gather) = &state.gather else {
        tracing::warn!(request_id, "a gather result arrived but speech-gather calls are not configured");
        return (StatusCode::SERVICE_UNAVAILABLE, "speech-gather calls are not configured").into_response();
    };
    let result = match GatherResult::parse(&body) {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(request_id, %error, "unreadable gather result");
            return (StatusCode::BAD_REQUEST, error.to_string()).into_response();
        }
    };
    match gather.answer(GatherStep::Heard, call_in(&uri), result).await {
        Ok(twiml) => twiml_response(&twiml),
        Err(refusal) => gather_refused(refusal, request_id, TWILIO_GATHER_PATH),
    }
}

/// The call id a gather URL names (`?call=<id>`).
fn call_in(uri: &Uri) -> Option<CallId> {
    let query = uri.query()?;
    query.split('&').find_map(|pair| pair.strip_prefix("call=")).and_then(|id| id.parse().ok()).map(CallId)
}

fn gather_refused(refusal: GatherRefusal, request_id: &str, path: &str) -> Response {
    match refusal {
        GatherRefusal::NotGather(call) => {
            tracing::warn!(request_id, path, ?call, "a gather request for no gather call");
            (StatusCode::NOT_FOUND, "no such gather call").into_response()
        }
        GatherRefusal::WrongCall { call, call_sid } => {
            tracing::warn!(request_id, path, %call, call_sid, "a gather request from another call");
            (StatusCode::FORBIDDEN, "forbidden").into_response()
        }
        GatherRefusal::Superseded { call, version } => {
            tracing::warn!(request_id, path, %call, version, "a gather request raced another for the same call");
            (StatusCode::CONFLICT, "another request for this call was answered first").into_response()
        }
        GatherRefusal::Engine(error) => {
            tracing::error!(request_id, path, %error, "a gather request could not be answered");
            (StatusCode::INTERNAL_SERVER_ERROR, "the call could not be continued").into_response()
        }
    }
}

fn twiml_response(twiml: &Twiml) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml.to_string()).into_response()
}
