//! Vapi server-URL authentication: a shared secret in `X-Vapi-Secret` or as a bearer token.

use super::{SignatureError, same_bytes};
use crate::Secret;

/// The header Vapi puts the configured server-URL secret in.
pub const VAPI_SECRET_HEADER: &str = "x-vapi-secret";

/// The secret configured on our Vapi server URL.
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

    /// Accepts the request when `X-Vapi-Secret` or `Authorization: Bearer …` holds the secret.
    pub fn verify(&self, vapi_secret: Option<&str>, authorization: Option<&str>) -> Result<(), SignatureError> {
        let bearer = authorization.map(|value| value.strip_prefix("Bearer ").ok_or(SignatureError::Malformed));
        let presented = match (vapi_secret, bearer) {
            (Some(secret), _) => secret,
            (None, Some(bearer)) => bearer?,
            (None, None) => return Err(SignatureError::Missing),
        };
        if !self.secret.is_empty() && same_bytes(presented.trim().as_bytes(), self.secret.expose().as_bytes()) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::VapiWebhookKey;
    use crate::Secret;
    use crate::signature::SignatureError;

    fn key() -> VapiWebhookKey {
        VapiWebhookKey::new(Secret::new("vapi-server-secret"))
    }

    #[test]
    fn accepts_the_secret_header_or_a_bearer_token() {
        assert_eq!(key().verify(Some(key().header_value()), None), Ok(()));
        assert_eq!(key().verify(None, Some("Bearer vapi-server-secret")), Ok(()));
    }

    #[test]
    fn refuses_missing_wrong_or_malformed_credentials() {
        assert_eq!(key().verify(None, None), Err(SignatureError::Missing));
        assert_eq!(key().verify(Some("vapi-server-secreT"), None), Err(SignatureError::Mismatch));
        assert_eq!(key().verify(Some("vapi-server-secret-"), None), Err(SignatureError::Mismatch));
        assert_eq!(key().verify(Some(""), None), Err(SignatureError::Mismatch));
        assert_eq!(key().verify(None, Some("Basic vapi-server-secret")), Err(SignatureError::Malformed));
        assert_eq!(key().verify(None, Some("Bearer other")), Err(SignatureError::Mismatch));
    }

    #[test]
    fn an_unset_secret_accepts_nothing() {
        let key = VapiWebhookKey::new(Secret::new(""));
        assert_eq!(key.verify(Some(""), None), Err(SignatureError::Mismatch));
    }
}
