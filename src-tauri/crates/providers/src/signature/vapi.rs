//! Vapi server-URL authentication, as its Custom Credentials send it (docs.vapi.ai,
//! "Server authentication"): a Bearer Token credential puts the secret in `Authorization` (with
//! or without the `Bearer ` prefix) or in a header of the dispatcher's choosing (`X-Vapi-Secret`
//! for the old inline secret); an HMAC credential signs `{timestamp}.{body}` with it and sends the
//! hex HMAC-SHA256 in `x-signature` and the timestamp in `x-timestamp` (the plan's defaults).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{SignatureError, same_bytes};
use crate::Secret;

/// The header Vapi's old inline server secret (and a credential set to it) is sent in.
pub const VAPI_SECRET_HEADER: &str = "x-vapi-secret";
/// Where an HMAC credential puts the signature, by default.
pub const VAPI_SIGNATURE_HEADER: &str = "x-signature";
/// Where an HMAC credential puts the timestamp it signed, by default.
pub const VAPI_TIMESTAMP_HEADER: &str = "x-timestamp";

/// How far an HMAC credential's timestamp may be from our clock, either way.
pub const VAPI_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Timestamps past this are milliseconds (seconds reach it in the year 5138).
const MILLISECOND_TIMESTAMPS: u64 = 100_000_000_000;

/// The secret of the credential on our Vapi server URL.
#[derive(Debug, Clone)]
pub struct VapiWebhookKey {
    secret: Secret,
}

impl VapiWebhookKey {
    pub fn new(secret: Secret) -> Self {
        Self { secret }
    }

    /// The `X-Vapi-Secret` header value a fake sends.
    pub fn header_value(&self) -> &str {
        self.secret.expose()
    }

    /// The `x-signature` an HMAC credential sends for `body` with `x-timestamp: timestamp`.
    pub fn sign(&self, body: &[u8], timestamp: &str) -> String {
        hex::encode(self.mac(Some(timestamp), body).finalize().into_bytes())
    }

    /// Accepts the request when its `headers` (name, value) carry the credential: an
    /// `x-signature` over the body (and `x-timestamp`, within [`VAPI_TOLERANCE`] of `now`), or
    /// else the secret itself, bare or after `Bearer `, in any header.
    pub fn verify(&self, headers: &[(&str, &str)], body: &[u8], now: SystemTime) -> Result<(), SignatureError> {
        if self.secret.is_empty() {
            return Err(SignatureError::Mismatch);
        }
        let header =
            |name: &str| headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| *value);
        if let Some(signature) = header(VAPI_SIGNATURE_HEADER) {
            return self.verify_hmac(signature, header(VAPI_TIMESTAMP_HEADER), body, now);
        }
        let carries_secret = |value: &str| {
            let token = value.trim();
            let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
            same_bytes(token.as_bytes(), self.secret.expose().as_bytes())
        };
        // Every header is compared, so the time taken does not say which one was close.
        let matched = headers.iter().fold(false, |matched, (_, value)| carries_secret(value) | matched);
        if matched {
            Ok(())
        } else if header(VAPI_SECRET_HEADER).is_some() || header("authorization").is_some() {
            Err(SignatureError::Mismatch)
        } else {
            Err(SignatureError::Missing)
        }
    }

    fn verify_hmac(
        &self,
        signature: &str,
        timestamp: Option<&str>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        let signature = signature.trim();
        let signature = signature.strip_prefix("sha256=").unwrap_or(signature);
        let signature =
            hex::decode(signature).or_else(|_| BASE64.decode(signature)).map_err(|_| SignatureError::Malformed)?;
        let timestamp = timestamp.map(str::trim);
        self.mac(timestamp, body).verify_slice(&signature).map_err(|_| SignatureError::Mismatch)?;
        match timestamp {
            Some(timestamp) => fresh(timestamp, now),
            // A credential set to sign the body alone sends no timestamp.
            None => Ok(()),
        }
    }

    fn mac(&self, timestamp: Option<&str>, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).expect("HMAC takes keys of any length");
        if let Some(timestamp) = timestamp {
            mac.update(timestamp.as_bytes());
            mac.update(b".");
        }
        mac.update(body);
        mac
    }
}

/// Whether a Unix timestamp (seconds or milliseconds) is within [`VAPI_TOLERANCE`] of `now`.
fn fresh(timestamp: &str, now: SystemTime) -> Result<(), SignatureError> {
    let sent: u64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    let sent = if sent >= MILLISECOND_TIMESTAMPS { sent / 1000 } else { sent };
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let tolerance = VAPI_TOLERANCE.as_secs();
    if now > sent && now - sent > tolerance {
        return Err(SignatureError::Stale(now - sent));
    }
    if sent > now && sent - now > tolerance {
        return Err(SignatureError::Future(sent - now));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::VapiWebhookKey;
    use crate::Secret;
    use crate::signature::SignatureError;

    const BODY: &[u8] = br#"{"message":{"type":"status-update","status":"in-progress","call":{"id":"vapi-call-1"}}}"#;
    const SENT: u64 = 1_739_872_800;

    fn key() -> VapiWebhookKey {
        VapiWebhookKey::new(Secret::new("vapi-server-secret"))
    }

    fn hmac_key() -> VapiWebhookKey {
        VapiWebhookKey::new(Secret::new("vapi-hmac-secret"))
    }

    fn at(seconds: u64) -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn verify(key: &VapiWebhookKey, headers: &[(&str, &str)]) -> Result<(), SignatureError> {
        key.verify(headers, BODY, at(SENT))
    }

    #[test]
    fn a_bearer_credential_with_or_without_its_prefix_or_in_a_header_of_its_own() {
        assert_eq!(verify(&key(), &[("authorization", "Bearer vapi-server-secret")]), Ok(()));
        assert_eq!(verify(&key(), &[("authorization", "vapi-server-secret")]), Ok(()));
        assert_eq!(verify(&key(), &[("x-vapi-secret", key().header_value())]), Ok(()));
        let custom = [("content-type", "application/json"), ("x-dispatch-auth", "Bearer vapi-server-secret")];
        assert_eq!(verify(&key(), &custom), Ok(()));
        assert_eq!(verify(&key(), &[("X-Dispatch-Auth", "vapi-server-secret")]), Ok(()));
    }

    #[test]
    fn refuses_missing_or_wrong_credentials() {
        assert_eq!(verify(&key(), &[("content-type", "application/json")]), Err(SignatureError::Missing));
        assert_eq!(verify(&key(), &[("x-vapi-secret", "vapi-server-secreT")]), Err(SignatureError::Mismatch));
        assert_eq!(verify(&key(), &[("x-vapi-secret", "vapi-server-secret-")]), Err(SignatureError::Mismatch));
        assert_eq!(verify(&key(), &[("x-vapi-secret", "")]), Err(SignatureError::Mismatch));
        assert_eq!(verify(&key(), &[("authorization", "Basic vapi-server-secret")]), Err(SignatureError::Mismatch));
        assert_eq!(verify(&key(), &[("authorization", "Bearer other")]), Err(SignatureError::Mismatch));
    }

    #[test]
    fn an_unset_secret_accepts_nothing() {
        let key = VapiWebhookKey::new(Secret::new(""));
        assert_eq!(verify(&key, &[("x-vapi-secret", "")]), Err(SignatureError::Mismatch));
        assert_eq!(verify(&key, &[("authorization", "Bearer ")]), Err(SignatureError::Mismatch));
    }

    /// Vectors computed by the HMAC plan's documented defaults (docs.vapi.ai "Server
    /// authentication" and the API's `HMACAuthenticationPlan`: SHA-256, hex, payload
    /// `{timestamp}.{body}`, headers `x-signature` / `x-timestamp`) with Python's `hmac`.
    #[test]
    fn reference_vectors_of_the_hmac_credential() {
        let seconds = "78b647c611908cb38ae997e7fa726f7b213992fa413772a3fd743bd1049c92cd";
        assert_eq!(hmac_key().sign(BODY, "1739872800"), seconds);
        let signed = |signature, timestamp| [("x-signature", signature), ("x-timestamp", timestamp)];
        assert_eq!(verify(&hmac_key(), &signed(seconds, "1739872800")), Ok(()));
        let millis = "73e9a7ceb266ef23f856533f07dabaafaed2db8a75104c2ec29f02175fa96d30";
        assert_eq!(verify(&hmac_key(), &signed(millis, "1739872800000")), Ok(()));
        let prefixed = format!("sha256={seconds}");
        assert_eq!(verify(&hmac_key(), &signed(&prefixed, "1739872800")), Ok(()));
        let base64 = "eLZHxhGQjLOK6Zfn+nJveyE5kvpBN3Kj/XQ70QScks0=";
        assert_eq!(verify(&hmac_key(), &signed(base64, "1739872800")), Ok(()));
        // A credential set to sign the body alone (no timestamp header).
        let body_only = "7cf48246faf9085c329c0006b3071e485925b55aff9f04ca2b597571e706f5f5";
        assert_eq!(verify(&hmac_key(), &[("x-signature", body_only)]), Ok(()));
    }

    #[test]
    fn the_hmac_credential_refuses_changed_bodies_moved_or_stale_timestamps() {
        let signature = hmac_key().sign(BODY, "1739872800");
        let headers = [("x-signature", signature.as_str()), ("x-timestamp", "1739872800")];
        assert_eq!(hmac_key().verify(&headers, b"{}", at(SENT)), Err(SignatureError::Mismatch));
        let moved = [("x-signature", signature.as_str()), ("x-timestamp", "1739872801")];
        assert_eq!(verify(&hmac_key(), &moved), Err(SignatureError::Mismatch));
        assert_eq!(verify(&key(), &headers), Err(SignatureError::Mismatch), "another secret");
        assert_eq!(hmac_key().verify(&headers, BODY, at(SENT + 301)), Err(SignatureError::Stale(301)));
        assert_eq!(hmac_key().verify(&headers, BODY, at(SENT - 301)), Err(SignatureError::Future(301)));
        assert_eq!(verify(&hmac_key(), &[("x-signature", "not hex!")]), Err(SignatureError::Malformed));
        let worded = hmac_key().sign(BODY, "yesterday");
        let worded = [("x-signature", worded.as_str()), ("x-timestamp", "yesterday")];
        assert_eq!(verify(&hmac_key(), &worded), Err(SignatureError::Malformed));
    }
}
