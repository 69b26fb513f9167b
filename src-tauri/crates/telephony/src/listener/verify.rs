//! Checks a request's provider signature with the listener's keys: a provider without a key is
//! "not configured" (503), a missing or wrong signature is refused (403). Either way the refusal
//! is logged with the request id and nothing reaches the inbox.

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use switchboard_providers::Provider;
use switchboard_providers::signature::{
    SignatureError, SignedBody, TWILIO_SIGNATURE_HEADER, TWILIO_SIGNATURE_SETTINGS_HEADER,
};

use super::ListenerState;
use super::routes::WebhookRoute;
use crate::backends::webhook::SignedRequest;

/// Why a request was not let in.
#[derive(Debug)]
pub(super) enum Refusal {
    NotConfigured(Provider),
    Signature(Provider, SignatureError),
}

impl Refusal {
    /// The answer, after logging why (the reason never holds a secret or an expected value):
    /// in full when it is the first of its route and kind this minute, else only counted (see
    /// [`Rejections`](super::rejections::Rejections)).
    pub(super) fn respond(self, state: &ListenerState, request_id: &str, path: &str) -> Response {
        let first = state.rejections.count(path, self.kind());
        match self {
            Self::NotConfigured(provider) => {
                if first {
                    tracing::warn!(request_id, %provider, path, "webhook for a provider with no secret configured");
                }
                (StatusCode::SERVICE_UNAVAILABLE, format!("{provider} webhooks are not configured")).into_response()
            }
            Self::Signature(provider, reason) => {
                if first {
                    tracing::warn!(request_id, %provider, path, %reason, "webhook refused");
                }
                (StatusCode::FORBIDDEN, "forbidden").into_response()
            }
        }
    }

    /// What kind of refusal it is, for counting.
    fn kind(&self) -> &'static str {
        match self {
            Self::NotConfigured(_) => "provider not configured",
            Self::Signature(_, SignatureError::Missing) => "signature missing",
            Self::Signature(_, SignatureError::Malformed) => "signature malformed",
            Self::Signature(_, SignatureError::Mismatch) => "signature mismatch",
            Self::Signature(_, SignatureError::BodyHashMismatch) => "body hash mismatch",
            Self::Signature(_, SignatureError::SharedKeyNotSet) => "shared key not set",
            Self::Signature(_, SignatureError::Stale(_)) => "signature stale",
            Self::Signature(_, SignatureError::Future(_)) => "signature from the future",
        }
    }
}

/// Verifies a webhook bound for the inbox, as its provider's module says.
pub(super) fn verify_webhook(
    state: &ListenerState,
    route: WebhookRoute,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Refusal> {
    let provider = route.provider();
    let url = public_url(state, uri);
    let request = SignedRequest { url: &url, headers, body };
    let checked = (route.webhook().verify)(&state.providers.current().webhook_keys, &request);
    checked.ok_or(Refusal::NotConfigured(provider))?.map_err(|reason| Refusal::Signature(provider, reason))
}

/// Verifies `X-Twilio-Signature` (with the key `X-Twilio-Webhooks-Signature-Settings` names) over `url` (the public URL Twilio requested) and `body`.
pub(super) fn verify_twilio(
    state: &ListenerState,
    url: &str,
    headers: &HeaderMap,
    body: SignedBody<'_>,
) -> Result<(), Refusal> {
    let providers = state.providers.current();
    let key = providers.webhook_keys.twilio.as_ref().ok_or(Refusal::NotConfigured(Provider::Twilio))?;
    key.verify(url, body, text(headers, TWILIO_SIGNATURE_HEADER), text(headers, TWILIO_SIGNATURE_SETTINGS_HEADER))
        .map_err(|reason| Refusal::Signature(Provider::Twilio, reason))
}

/// The URL the provider requested: the public base, then the path and query as received.
pub(super) fn public_url(state: &ListenerState, uri: &Uri) -> String {
    let path = uri.path_and_query().map_or(uri.path(), |path| path.as_str());
    state.providers.current().public_url(path)
}

pub(super) fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}
