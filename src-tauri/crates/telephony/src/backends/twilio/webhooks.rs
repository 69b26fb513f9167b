//! Twilio's callbacks to the listener for the calls the dialer places (`X-Twilio-Signature` over
//! the public URL and the form, or a JSON body's hash): status callbacks move the call; an
//! answering machine's verdict and a finished recording are notices for the dialer
//! ([`TwilioNotice`]). Also where Twilio opens a call's media stream.

use switchboard_core::CallState;
use switchboard_providers::signature::{
    SignatureError, SignedBody, TWILIO_SIGNATURE_HEADER, TWILIO_SIGNATURE_SETTINGS_HEADER,
};
use switchboard_providers::twilio::{AmdCallback, AnsweredBy, RecordingCallback, RecordingStatus, StatusCallback};
use switchboard_providers::{PayloadError, Provider};

use super::{TwilioNotice, status_change};
use crate::backends::webhook::{CallChange, SignedRequest, Webhook, WebhookKeys, wire};

/// Twilio opens the call's media stream WebSocket here.
pub const TWILIO_MEDIA_PATH: &str = "/twilio/media";

pub(crate) const STATUS: Webhook = Webhook {
    name: "twilio-status",
    path: "/twilio/status",
    provider: Provider::Twilio,
    label: "Twilio status callback (StatusCallback)",
    verify,
    event_key: |body| {
        StatusCallback::parse(body).ok().map(|callback| {
            let sequence = callback.sequence_number.map(|n| n.to_string()).unwrap_or_default();
            format!("status:{}:{}:{sequence}", callback.call_sid, wire(callback.call_status))
        })
    },
    call_change: |body| {
        let callback = StatusCallback::parse(body)?;
        Ok(status_change(callback.call_status, callback.sip_response_code)
            .map(|(state, reason)| CallChange::new(vec![callback.call_sid], state, reason)))
    },
};

pub(crate) const RECORDING: Webhook = Webhook {
    name: "twilio-recording",
    path: "/twilio/recording",
    provider: Provider::Twilio,
    label: "Twilio recording status callback (RecordingStatusCallback)",
    verify,
    event_key: |body| {
        RecordingCallback::parse(body)
            .ok()
            .map(|callback| format!("recording:{}:{}", callback.recording_sid, wire(callback.recording_status)))
    },
    call_change: |body| {
        let callback = RecordingCallback::parse(body)?;
        Ok((callback.recording_status == RecordingStatus::Completed)
            .then(|| notice(callback.call_sid.clone(), TwilioNotice::Recording(callback))))
    },
};

pub(crate) const AMD: Webhook = Webhook {
    name: "twilio-amd",
    path: "/twilio/amd",
    provider: Provider::Twilio,
    label: "Twilio answering machine detection callback (AsyncAmdStatusCallback)",
    verify,
    event_key: |body| {
        AmdCallback::parse(body)
            .ok()
            .map(|callback| format!("amd:{}:{}", callback.call_sid, wire(callback.answered_by)))
    },
    call_change: amd_change,
};

/// A machine's verdict is the dialer's to act on (leave a message or hang up); a person
/// answering means the call is live.
fn amd_change(body: &[u8]) -> Result<Option<CallChange>, PayloadError> {
    let callback = AmdCallback::parse(body)?;
    Ok(match callback.answered_by {
        AnsweredBy::Human => Some(CallChange::new(vec![callback.call_sid], CallState::InProgress, None)),
        machine if machine.is_machine() => Some(notice(callback.call_sid, TwilioNotice::Machine)),
        _ => None,
    })
}

/// A notice about a call the callee answered (a machine, or a recording of the call).
fn notice(call_sid: String, notice: TwilioNotice) -> CallChange {
    CallChange { notice: Some(notice), ..CallChange::new(vec![call_sid], CallState::InProgress, None) }
}

/// Checks `X-Twilio-Signature` over the URL Twilio requested and the body, with the key and
/// algorithm `X-Twilio-Webhooks-Signature-Settings` names (the auth token's HMAC-SHA1 without it).
fn verify(keys: &WebhookKeys, request: &SignedRequest<'_>) -> Option<Result<(), SignatureError>> {
    let key = keys.twilio.as_ref()?;
    let (signature, settings) =
        (request.header(TWILIO_SIGNATURE_HEADER), request.header(TWILIO_SIGNATURE_SETTINGS_HEADER));
    Some(key.verify(request.url, twilio_body(request), signature, settings))
}

/// What Twilio signed besides the URL: a JSON body is hashed into the URL, a form's parameters
/// are signed.
pub(crate) fn twilio_body<'a>(request: &SignedRequest<'a>) -> SignedBody<'a> {
    let json = request
        .header(axum::http::header::CONTENT_TYPE.as_str())
        .is_some_and(|content_type| content_type.trim_start().starts_with("application/json"));
    if json { SignedBody::Json(request.body) } else { SignedBody::Form(request.body) }
}
