//! Each webhook's idempotency key, from the provider's own ids: a redelivery gets the same key,
//! a different event of the same call a different one. A body the typed parsers cannot read is
//! keyed by its SHA-256, so its redeliveries still collapse (processing then parks it).

use sha2::{Digest, Sha256};

use super::routes::WebhookRoute;

pub(super) fn event_key(route: WebhookRoute, body: &[u8]) -> String {
    (route.webhook().event_key)(body).unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body))))
}

#[cfg(test)]
mod tests {
    use super::event_key;
    use crate::listener::WebhookRoute;

    #[test]
    fn keys_come_from_the_providers_ids() {
        let status = b"CallSid=CA1&AccountSid=AC1&CallStatus=in-progress&SequenceNumber=2";
        assert_eq!(event_key(WebhookRoute::TwilioStatus, status), "status:CA1:in-progress:2");
        let recording = b"CallSid=CA1&RecordingSid=RE1&RecordingStatus=completed";
        assert_eq!(event_key(WebhookRoute::TwilioRecording, recording), "recording:RE1:completed");
        let amd = b"CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_end_beep";
        assert_eq!(event_key(WebhookRoute::TwilioAmd, amd), "amd:CA1:machine_end_beep");
        let ended = br#"{"event":"call.ended","call":{"callId":"u1"}}"#;
        assert_eq!(event_key(WebhookRoute::Ultravox, ended), "call.ended:u1");
        let vapi = br#"{"message":{"type":"status-update","status":"ringing","call":{"id":"v1"}}}"#;
        assert_eq!(event_key(WebhookRoute::Vapi, vapi), "status-update:v1:ringing");
        let eleven = br#"{"type":"post_call_transcription","event_timestamp":1,"data":{"conversation_id":"c1","status":"done"}}"#;
        assert_eq!(event_key(WebhookRoute::ElevenLabs, eleven), "post_call_transcription:c1");
    }

    #[test]
    fn an_unreadable_body_is_keyed_by_its_hash() {
        let key = event_key(WebhookRoute::Vapi, b"not json");
        assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
        assert_eq!(key, event_key(WebhookRoute::Vapi, b"not json"));
        assert_ne!(key, event_key(WebhookRoute::Vapi, b"not json!"));
    }
}
