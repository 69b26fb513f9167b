//! The inbox routes: verify, then write the webhook to the inbox and commit it before answering
//! 200; a redelivered event is answered 200 with nothing written. The processor is woken after.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use switchboard_store::{InboxInsert, NewWebhook};

use super::ListenerState;
use super::event_key::event_key;
use super::routes::{WebhookRoute, provider_id};
use super::verify::{text, verify_webhook};
use switchboard_engine::blocking;
use switchboard_engine::now;

/// Every provider's webhook route.
pub(super) fn routes() -> Router<Arc<ListenerState>> {
    WebhookRoute::ALL.into_iter().fold(Router::new(), |routes, route| {
        routes.route(route.path(), post(move |state, uri, headers, body| webhook(route, state, uri, headers, body)))
    })
}

/// The request id the request-id layer put on the request.
pub(super) fn request_id(headers: &HeaderMap) -> &str {
    text(headers, "x-request-id").unwrap_or("-")
}

/// Handles a webhook bound for the inbox on `route`.
async fn webhook(
    route: WebhookRoute,
    State(state): State<Arc<ListenerState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = request_id(&headers).to_owned();
    if let Err(refusal) = verify_webhook(&state, route, &uri, &headers, &body) {
        return refusal.respond(&state, &request_id, route.path());
    }
    let key = event_key(route, &body);
    let content_type = text(&headers, header::CONTENT_TYPE.as_str()).map(str::to_owned);
    let store = Arc::clone(&state.store);
    let (stored_key, stored_id) = (key.clone(), request_id.clone());
    let inserted = blocking(move || {
        store.insert_webhook(&NewWebhook {
            provider: provider_id(route.provider()),
            route: route.name(),
            event_key: &stored_key,
            received_at: now(),
            request_id: Some(&stored_id),
            content_type: content_type.as_deref(),
            body: &body,
        })
    })
    .await;
    match inserted {
        Ok(InboxInsert::Inserted(id)) => {
            tracing::info!(request_id, route = route.name(), event = key, inbox = id, "webhook stored");
            state.inbox_wakeup.notify_one();
            StatusCode::OK.into_response()
        }
        Ok(InboxInsert::Duplicate) => {
            tracing::info!(request_id, route = route.name(), event = key, "duplicate webhook; already stored");
            StatusCode::OK.into_response()
        }
        Err(error) => {
            // Not stored, so not acknowledged: the provider will deliver it again.
            tracing::error!(request_id, route = route.name(), %error, "could not store a webhook");
            (StatusCode::INTERNAL_SERVER_ERROR, "could not store the webhook").into_response()
        }
    }
}
