//! Ultravox webhook signatures: `X-Ultravox-Webhook-Signature` holds one or more hex
//! HMAC-SHA256 digests (comma-separated, for key rotation) of the raw body followed by the
//! `X-Ultravox-Webhook-Timestamp` header's text (following Ultravox's "Securing webhooks"
//! guide; not otherwise pinned, see docs/providers.md#ultravox). The timestamp is ISO 8601, with
//! a UTC offset or without one (then UTC, as the guide's `datetime.fromisoformat` reads it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::SignatureError;
use crate::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const ULTRAVOX_SIGNATURE_HEADER: &str = "x-ultravox-webhook-signature";
pub const ULTRAVOX_TIMESTAMP_HEADER: &str = "x-ultravox-webhook-timestamp";
/// The header our Ultravox agents' tool requests carry their [`UltravoxWebhookKey::tool_key`] in.
pub const ULTRAVOX_TOOL_KEY_HEADER: &str = "x-switchboard-tool-key";
/// What the tool key is the MAC of, so it is never the MAC of anything a webhook signs.
const TOOL_KEY_PURPOSE: &[u8] = b"switchboard: the key of our agents' record_field tool";

/// How far the timestamp may be from our clock, either way. Ultravox suggests a minute; a
/// desktop clock may be off by more.
pub const ULTRAVOX_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The secret of an Ultravox webhook.
#[derive(Debug, Clone)]
pub struct UltravoxWebhookKey {
    secret: Secret,
}

impl UltravoxWebhookKey {
    pub fn new(secret: Secret) -> Self {
        Self { secret }
    }

    /// The signature header value for `body` sent with timestamp header `timestamp` (RFC 3339).
    pub fn sign(&self, body: &[u8], timestamp: &str) -> String {
        hex::encode(self.mac(body, timestamp).finalize().into_bytes())
    }

    /// Accepts `body` when one of the signatures matches and the timestamp is within
    /// [`ULTRAVOX_TOLERANCE`] of `now`.
    pub fn verify(
        &self,
        signatures: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        let (signatures, timestamp) = match (signatures, timestamp) {
            (Some(signatures), Some(timestamp)) => (signatures, timestamp.trim()),
            _ => return Err(SignatureError::Missing),
        };
        let sent = sent_at(timestamp)?;
        let mac = self.mac(body, timestamp);
        let matched = signatures
            .split(',')
            .filter_map(|signature| hex::decode(signature.trim()).ok())
            .any(|signature| mac.clone().verify_slice(&signature).is_ok());
        if !matched {
            return Err(SignatureError::Mismatch);
        }
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
        let age = now - sent.as_second();
        let tolerance = ULTRAVOX_TOLERANCE.as_secs() as i64;
        if age > tolerance {
            return Err(SignatureError::Stale(age.unsigned_abs()));
        }
        if -age > tolerance {
            return Err(SignatureError::Future(age.unsigned_abs()));
        }
        Ok(())
    }

    /// The key our agents' tool requests carry (a static header Ultravox adds to each, never
    /// shown to the model). Tools are defined on the agent, not per call, so it is one per
    /// webhook secret: derived from it, it needs no storage of its own and changes with it.
    pub fn tool_key(&self) -> Secret {
        Secret::new(hex::encode(self.tool_mac().finalize().into_bytes()))
    }

    /// Accepts a tool request carrying [`UltravoxWebhookKey::tool_key`] (compared in constant time).
    pub fn verify_tool_key(&self, presented: Option<&str>) -> Result<(), SignatureError> {
        let presented = presented.ok_or(SignatureError::Missing)?;
        let presented = hex::decode(presented.trim()).map_err(|_| SignatureError::Malformed)?;
        self.tool_mac().verify_slice(&presented).map_err(|_| SignatureError::Mismatch)
    }

    fn tool_mac(&self) -> Hmac<Sha256> {
        let mut mac = self.keyed();
        mac.update(TOOL_KEY_PURPOSE);
        mac
    }

    fn mac(&self, body: &[u8], timestamp: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed();
        mac.update(body);
        mac.update(timestamp.as_bytes());
        mac
    }

    fn keyed(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).expect("HMAC takes keys of any length")
    }
}

/// When a timestamp header says the webhook was sent: RFC 3339, or a date and time with no
/// offset, taken as UTC.
fn sent_at(timestamp: &str) -> Result<jiff::Timestamp, SignatureError> {
    if let Ok(sent) = timestamp.parse::<jiff::Timestamp>() {
        return Ok(sent);
    }
    let civil: jiff::civil::DateTime = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).map(|zoned| zoned.timestamp()).map_err(|_| SignatureError::Malformed)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::UltravoxWebhookKey;
    use crate::Secret;
    use crate::signature::SignatureError;

    const BODY: &[u8] = br#"{"event":"call.ended","call":{"callId":"c1"}}"#;
    const SENT: &str = "2025-02-18T10:00:00Z";
    const SENT_SECS: u64 = 1_739_872_800;

    fn key() -> UltravoxWebhookKey {
        UltravoxWebhookKey::new(Secret::new("uv-secret"))
    }

    fn at(seconds: u64) -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn signs_body_then_timestamp_and_accepts_any_of_several_signatures() {
        let signature = key().sign(BODY, SENT);
        assert_eq!(key().verify(Some(&signature), Some(SENT), BODY, at(SENT_SECS + 10)), Ok(()));
        let rotated = format!("{}, {signature}", UltravoxWebhookKey::new(Secret::new("old")).sign(BODY, SENT));
        assert_eq!(key().verify(Some(&rotated), Some(SENT), BODY, at(SENT_SECS)), Ok(()));
    }

    #[test]
    fn refuses_changed_bodies_moved_timestamps_and_stale_deliveries() {
        let signature = key().sign(BODY, SENT);
        let verify = |body: &[u8], sent: &str, now| key().verify(Some(&signature), Some(sent), body, at(now));
        assert_eq!(verify(b"{}", SENT, SENT_SECS), Err(SignatureError::Mismatch));
        assert_eq!(verify(BODY, "2025-02-18T10:00:01Z", SENT_SECS), Err(SignatureError::Mismatch));
        assert_eq!(verify(BODY, SENT, SENT_SECS + 301), Err(SignatureError::Stale(301)));
        assert_eq!(verify(BODY, SENT, SENT_SECS - 301), Err(SignatureError::Future(301)));
        assert_eq!(verify(BODY, "yesterday", SENT_SECS), Err(SignatureError::Malformed));
        assert_eq!(key().verify(None, Some(SENT), BODY, at(SENT_SECS)), Err(SignatureError::Missing));
    }

    /// Vectors computed by the guide's algorithm (HMAC-SHA256 of the body then the timestamp
    /// header's text, hex) with Python's `hmac`, for both forms its examples take.
    #[test]
    fn reference_vectors_with_and_without_a_utc_offset() {
        let naive = "2025-02-18T10:00:00.123456";
        let naive_signature = "0e07d96a4b459f74e6a5c3a024261e5c4b94df5ec765aaf518103ea24dbe77ee";
        assert_eq!(key().sign(BODY, naive), naive_signature);
        assert_eq!(key().verify(Some(naive_signature), Some(naive), BODY, at(SENT_SECS + 60)), Ok(()));
        assert_eq!(
            key().verify(Some(naive_signature), Some(naive), BODY, at(SENT_SECS + 301)),
            Err(SignatureError::Stale(301))
        );
        let offset = "2025-02-18T12:00:00+02:00";
        let offset_signature = "d6ce74eab19698218f538234f9e51d19d89eca48305b46a926c1faa3d1fbf642";
        assert_eq!(key().verify(Some(offset_signature), Some(offset), BODY, at(SENT_SECS)), Ok(()));
        assert_eq!(
            key().verify(Some(offset_signature), Some(offset), BODY, at(SENT_SECS - 301)),
            Err(SignatureError::Future(301))
        );
    }

    #[test]
    fn the_tool_key_is_accepted_and_anything_else_refused() {
        let tool_key = key().tool_key();
        assert_eq!(key().verify_tool_key(Some(tool_key.expose())), Ok(()));
        let other = UltravoxWebhookKey::new(Secret::new("other")).tool_key();
        assert_eq!(key().verify_tool_key(Some(other.expose())), Err(SignatureError::Mismatch));
        assert_eq!(key().verify_tool_key(Some("not hex")), Err(SignatureError::Malformed));
        assert_eq!(key().verify_tool_key(None), Err(SignatureError::Missing));
        assert_ne!(tool_key.expose(), key().sign(b"", ""), "not the signature of an empty webhook");
    }
}
