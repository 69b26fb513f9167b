//! ElevenLabs webhook signatures: `ElevenLabs-Signature: t=<unix>,v0=<hex HMAC-SHA256("<t>.<body>")>`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::SignatureError;
use crate::Secret;

/// The header ElevenLabs signs its webhooks in.
pub const ELEVENLABS_SIGNATURE_HEADER: &str = "elevenlabs-signature";

/// How far a signature's timestamp may be from our clock, either way, before it is refused.
pub const SIGNATURE_TOLERANCE: Duration = Duration::from_secs(30 * 60);

/// The HMAC secret of an ElevenLabs webhook.
#[derive(Debug, Clone)]
pub struct ElevenLabsWebhookKey {
    secret: Secret,
}

impl ElevenLabsWebhookKey {
    pub fn new(secret: Secret) -> Self {
        Self { secret }
    }

    /// The `ElevenLabs-Signature` header value for `body` sent at `timestamp` (Unix seconds).
    pub fn sign(&self, body: &[u8], timestamp: u64) -> String {
        let digest = self.mac(body, timestamp).finalize().into_bytes();
        format!("t={timestamp},v0={}", hex::encode(digest))
    }

    /// Accepts `body` when the header carries a matching `v0` signature whose timestamp is within
    /// [`SIGNATURE_TOLERANCE`] of `now`; anything else (mutated, replayed, stale) is refused.
    pub fn verify(&self, header: Option<&str>, body: &[u8], now: SystemTime) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", value)) => timestamp = Some(value.parse::<u64>().map_err(|_| SignatureError::Malformed)?),
                Some(("v0", value)) => signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed);
        }
        let mac = self.mac(body, timestamp);
        if !signatures.iter().any(|signature| mac.clone().verify_slice(signature).is_ok()) {
            return Err(SignatureError::Mismatch);
        }
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let tolerance = SIGNATURE_TOLERANCE.as_secs();
        if now > timestamp && now - timestamp > tolerance {
            return Err(SignatureError::Stale(now - timestamp));
        }
        if timestamp > now && timestamp - now > tolerance {
            return Err(SignatureError::Future(timestamp - now));
        }
        Ok(())
    }

    fn mac(&self, body: &[u8], timestamp: u64) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).expect("HMAC takes keys of any length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::ElevenLabsWebhookKey;
    use crate::Secret;
    use crate::signature::SignatureError;

    const BODY: &[u8] = br#"{"type":"post_call_transcription"}"#;
    const T: u64 = 1_739_537_297;
    const HEADER: &str = "t=1739537297,v0=0224015c9b177997645410423294956ee55755a049b8d972813fc50c6c58f3d9";

    fn key() -> ElevenLabsWebhookKey {
        ElevenLabsWebhookKey::new(Secret::new("whsec_test"))
    }

    fn at(seconds: u64) -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn reference_vector_signs_and_verifies() {
        assert_eq!(key().sign(BODY, T), HEADER);
        assert_eq!(key().verify(Some(HEADER), BODY, at(T + 5)), Ok(()));
        assert_eq!(key().verify(Some(&HEADER.replace(',', ", ")), BODY, at(T)), Ok(()));
    }

    #[test]
    fn a_changed_byte_of_body_or_signature_or_a_wrong_key_is_refused() {
        let mut body = BODY.to_vec();
        body[3] ^= 1;
        assert_eq!(key().verify(Some(HEADER), &body, at(T)), Err(SignatureError::Mismatch));
        let flipped = HEADER.replace("v0=02", "v0=03");
        assert_eq!(key().verify(Some(&flipped), BODY, at(T)), Err(SignatureError::Mismatch));
        let other = ElevenLabsWebhookKey::new(Secret::new("whsec_tesT"));
        assert_eq!(other.verify(Some(HEADER), BODY, at(T)), Err(SignatureError::Mismatch));
        // The timestamp is signed too: moving it breaks the signature.
        let moved = HEADER.replace("t=1739537297", "t=1739537298");
        assert_eq!(key().verify(Some(&moved), BODY, at(T)), Err(SignatureError::Mismatch));
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        assert_eq!(key().verify(None, BODY, at(T)), Err(SignatureError::Missing));
        for header in ["", "t=1739537297", "v0=0224", "t=abc,v0=0224", "t=1739537297,v0=zz"] {
            assert_eq!(key().verify(Some(header), BODY, at(T)), Err(SignatureError::Malformed), "{header}");
        }
    }

    #[test]
    fn replays_past_30_minutes_and_future_stamps_are_refused() {
        assert_eq!(key().verify(Some(HEADER), BODY, at(T + 30 * 60)), Ok(()));
        assert_eq!(key().verify(Some(HEADER), BODY, at(T + 30 * 60 + 1)), Err(SignatureError::Stale(1801)));
        assert_eq!(key().verify(Some(HEADER), BODY, at(T - 30 * 60)), Ok(()));
        assert_eq!(key().verify(Some(HEADER), BODY, at(T - 30 * 60 - 1)), Err(SignatureError::Future(1801)));
    }
}
