//! Webhook signatures: verify what providers send to our listener, and sign what the loopback
//! fakes send, with the same code so the two cannot drift apart.

mod elevenlabs;
mod twilio;
mod ultravox;
mod vapi;

pub use elevenlabs::{ELEVENLABS_SIGNATURE_HEADER, ElevenLabsWebhookKey, SIGNATURE_TOLERANCE};
pub use twilio::{
    SignedBody, TWILIO_SIGNATURE_HEADER, TWILIO_SIGNATURE_SETTINGS_HEADER, TwilioAlgorithm, TwilioWebhookKey,
    url_with_body_hash, websocket_url,
};
pub use ultravox::{
    ULTRAVOX_SIGNATURE_HEADER, ULTRAVOX_TIMESTAMP_HEADER, ULTRAVOX_TOOL_KEY_HEADER, UltravoxWebhookKey,
};
pub use vapi::{VAPI_SECRET_HEADER, VAPI_SIGNATURE_HEADER, VAPI_TIMESTAMP_HEADER, VapiWebhookKey};

use subtle::ConstantTimeEq;

/// Why a webhook was refused. Messages say what is wrong, never the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the body does not match the bodySHA256 in the URL")]
    BodyHashMismatch,
    #[error("the request is signed with a shared key, and none is set")]
    SharedKeyNotSet,
    #[error("the signature is {0} s old, past the tolerance")]
    Stale(u64),
    #[error("the signature is dated {0} s in the future, past the tolerance")]
    Future(u64),
}

/// Compares in time that depends only on the lengths, never on where the bytes differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}
