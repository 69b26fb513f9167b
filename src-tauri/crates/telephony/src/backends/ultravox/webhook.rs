//! Ultravox's call webhooks (`X-Ultravox-Webhook-Signature` over the timestamped body):
//! `call.started`, `call.joined` and `call.ended` move the call; an end is then confirmed by
//! fetching the call (see [`reports_end`](super::reports_end)), nothing is applied from the
//! webhook itself.

use switchboard_core::CallState;
use switchboard_providers::Provider;
use switchboard_providers::signature::{ULTRAVOX_SIGNATURE_HEADER, ULTRAVOX_TIMESTAMP_HEADER};
use switchboard_providers::ultravox::{UltravoxEvent, UltravoxWebhook};

use super::ended_state;
use crate::backends::webhook::{CallChange, Webhook, wire};

pub(super) const WEBHOOK: Webhook = Webhook {
    name: "ultravox",
    path: "/ultravox/events",
    provider: Provider::Ultravox,
    label: "Ultravox webhook (call.started, call.joined, call.ended)",
    verify: |keys, request| {
        let key = keys.ultravox.as_ref()?;
        let (signature, sent) = (request.header(ULTRAVOX_SIGNATURE_HEADER), request.header(ULTRAVOX_TIMESTAMP_HEADER));
        Some(key.verify(signature, sent, request.body, std::time::SystemTime::now()))
    },
    event_key: |body| {
        UltravoxWebhook::parse(body).ok().map(|webhook| format!("{}:{}", wire(webhook.event), webhook.call.call_id))
    },
    call_change: |body| Ok(call_change(UltravoxWebhook::parse(body)?)),
};

fn call_change(webhook: UltravoxWebhook) -> Option<CallChange> {
    let (state, reason) = match webhook.event {
        UltravoxEvent::Started => (CallState::Dialing, None),
        UltravoxEvent::Joined => (CallState::InProgress, None),
        UltravoxEvent::Ended => {
            let state = ended_state(webhook.call.end_reason);
            let reason = webhook.call.short_summary.clone().unwrap_or_else(|| "the call ended (Ultravox)".into());
            (state, Some(reason))
        }
        UltravoxEvent::Billed | UltravoxEvent::Other => return None,
    };
    Some(CallChange::new(vec![webhook.call.call_id], state, reason))
}
