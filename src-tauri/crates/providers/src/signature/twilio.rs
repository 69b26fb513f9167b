//! Twilio request signatures (`X-Twilio-Signature`): base64 HMAC of the full public URL followed
//! by the sorted form parameters. Classic: HMAC-SHA1 keyed by the auth token. A webhook a Webhook
//! Rule matches is signed with that Setting's shared key and algorithm instead (HMAC-SHA256), and
//! says so in `X-Twilio-Webhooks-Signature-Settings: key=<id>,algorithm=HMAC_SHA256`.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{SignatureError, same_bytes};
use crate::Secret;

/// The header Twilio signs its requests in.
pub const TWILIO_SIGNATURE_HEADER: &str = "x-twilio-signature";
/// The header naming the shared key and algorithm a request was signed with, when not the
/// auth token's HMAC-SHA1.
pub const TWILIO_SIGNATURE_SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";

/// A signing algorithm Twilio names in [`TWILIO_SIGNATURE_SETTINGS_HEADER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwilioAlgorithm {
    HmacSha1,
    HmacSha256,
}

impl TwilioAlgorithm {
    /// The algorithm a settings header names (`key=…,algorithm=HMAC_SHA256`).
    pub fn from_settings(settings: &str) -> Result<Self, SignatureError> {
        let named = settings
            .split(',')
            .filter_map(|part| part.trim().split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("algorithm"))
            .map(|(_, value)| value.trim());
        match named {
            Some(name) if name.eq_ignore_ascii_case("HMAC_SHA256") => Ok(Self::HmacSha256),
            Some(name) if name.eq_ignore_ascii_case("HMAC_SHA1") => Ok(Self::HmacSha1),
            _ => Err(SignatureError::Malformed),
        }
    }

    /// Its name in the settings header.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC_SHA1",
            Self::HmacSha256 => "HMAC_SHA256",
        }
    }
}

/// What a signed Twilio request carried besides its URL.
#[derive(Debug, Clone, Copy)]
pub enum SignedBody<'a> {
    /// A GET, or a WebSocket upgrade: the URL alone is signed.
    Empty,
    /// A form POST (`application/x-www-form-urlencoded`), raw body: its parameters are signed.
    Form(&'a [u8]),
    /// A JSON POST, raw body: the URL carries `bodySHA256` and is signed alone.
    Json(&'a [u8]),
}

/// The auth token Twilio signs requests with (the account's, or the API key's secret), and the
/// secret of the shared key a Webhook Setting signs with, when one is set.
#[derive(Debug, Clone)]
pub struct TwilioWebhookKey {
    auth_token: Secret,
    shared_key: Option<Secret>,
}

impl TwilioWebhookKey {
    pub fn new(auth_token: Secret) -> Self {
        Self { auth_token, shared_key: None }
    }

    /// Also accepts requests signed with this shared key's secret (an empty one is not set).
    pub fn with_shared_key(self, shared_key: Option<Secret>) -> Self {
        Self { shared_key: shared_key.filter(|secret| !secret.is_empty()), ..self }
    }

    /// The classic `X-Twilio-Signature` value for a request to `url` (exactly as requested; for
    /// JSON bodies, see [`url_with_body_hash`]): HMAC-SHA1 with the auth token.
    pub fn sign(&self, url: &str, body: SignedBody<'_>) -> String {
        BASE64.encode(digest(TwilioAlgorithm::HmacSha1, &self.auth_token, &signed_string(url, body)))
    }

    /// The `X-Twilio-Signature` value a Webhook Setting signs with `algorithm` and the shared key
    /// (`None` when no shared key is set).
    pub fn sign_shared(&self, url: &str, body: SignedBody<'_>, algorithm: TwilioAlgorithm) -> Option<String> {
        let shared_key = self.shared_key.as_ref()?;
        Some(BASE64.encode(digest(algorithm, shared_key, &signed_string(url, body))))
    }

    /// Accepts the request when `signature` matches `url` (the public URL Twilio requested) with
    /// or without its port, as Twilio signs either way; a JSON body must also match the URL's
    /// `bodySHA256`. With `settings` (the [`TWILIO_SIGNATURE_SETTINGS_HEADER`]) the shared key
    /// and the algorithm it names are used, else the auth token and HMAC-SHA1.
    pub fn verify(
        &self,
        url: &str,
        body: SignedBody<'_>,
        signature: Option<&str>,
        settings: Option<&str>,
    ) -> Result<(), SignatureError> {
        let (algorithm, key) = match settings {
            None => (TwilioAlgorithm::HmacSha1, &self.auth_token),
            Some(settings) => {
                let algorithm = TwilioAlgorithm::from_settings(settings)?;
                (algorithm, self.shared_key.as_ref().ok_or(SignatureError::SharedKeyNotSet)?)
            }
        };
        let signature = signature.ok_or(SignatureError::Missing)?;
        let signature = BASE64.decode(signature.trim()).map_err(|_| SignatureError::Malformed)?;
        if let SignedBody::Json(json) = body {
            let expected = hex::encode(Sha256::digest(json));
            let presented = body_hash(url).ok_or(SignatureError::BodyHashMismatch)?;
            if !same_bytes(presented.to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
                return Err(SignatureError::BodyHashMismatch);
            }
        }
        let matches = |url: &str| same_bytes(&digest(algorithm, key, &signed_string(url, body)), &signature);
        if matches(&without_port(url)) | matches(&with_default_port(url)) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// The HMAC of `signed` with `key` by `algorithm`.
fn digest(algorithm: TwilioAlgorithm, key: &Secret, signed: &str) -> Vec<u8> {
    fn mac<M: Mac + KeyInit>(key: &Secret, signed: &str) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key.expose().as_bytes()).expect("HMAC takes keys of any length");
        mac.update(signed.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
    match algorithm {
        TwilioAlgorithm::HmacSha1 => mac::<Hmac<Sha1>>(key, signed),
        TwilioAlgorithm::HmacSha256 => mac::<Hmac<Sha256>>(key, signed),
    }
}

/// `url` with the `bodySHA256` query parameter Twilio adds when it posts a JSON body.
pub fn url_with_body_hash(url: &str, body: &[u8]) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}bodySHA256={}", hex::encode(Sha256::digest(body)))
}

/// The URL Twilio signs when it opens a media stream WebSocket: `https` becomes `wss` and
/// `http` becomes `ws` (a proxy or tunnel may have told us the former).
pub fn websocket_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        url.to_owned()
    }
}

/// The URL, then for each parameter name in order each of its distinct values in order, as
/// `name` + `value` with no separators (as Twilio's own validators build it).
fn signed_string(url: &str, body: SignedBody<'_>) -> String {
    let mut signed = url.to_owned();
    if let SignedBody::Form(form) = body {
        let mut params: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(form) {
            params.entry(name.into_owned()).or_default().insert(value.into_owned());
        }
        for (name, values) in &params {
            for value in values {
                signed.push_str(name);
                signed.push_str(value);
            }
        }
    }
    signed
}

fn body_hash(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "bodySHA256").map(|(_, value)| value.into_owned())
}

/// Where a URL's port sits: the byte range of `:port` within it, if any, and the end of the host.
struct Authority {
    host_end: usize,
    port: Option<std::ops::Range<usize>>,
}

fn authority(url: &str) -> Option<Authority> {
    let start = url.find("://")? + 3;
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |offset| start + offset);
    let host_start = url[start..end].rfind('@').map_or(start, |at| start + at + 1);
    let host = &url[host_start..end];
    let port_colon = match host.rfind(']') {
        Some(bracket) => host[bracket..].find(':').map(|colon| bracket + colon),
        None => host.rfind(':'),
    };
    Some(match port_colon {
        Some(colon) => Authority { host_end: host_start + colon, port: Some(host_start + colon..end) },
        None => Authority { host_end: end, port: None },
    })
}

fn without_port(url: &str) -> String {
    match authority(url) {
        Some(Authority { port: Some(port), .. }) => format!("{}{}", &url[..port.start], &url[port.end..]),
        _ => url.to_owned(),
    }
}

fn with_default_port(url: &str) -> String {
    let default = match url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase()) {
        Some(scheme) if scheme == "https" || scheme == "wss" => 443,
        Some(scheme) if scheme == "http" || scheme == "ws" => 80,
        _ => return url.to_owned(),
    };
    match authority(url) {
        Some(Authority { host_end, port: None }) => format!("{}:{default}{}", &url[..host_end], &url[host_end..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{
        SignedBody, TwilioAlgorithm, TwilioWebhookKey, signed_string, url_with_body_hash, websocket_url,
        with_default_port, without_port,
    };
    use crate::Secret;
    use crate::signature::SignatureError;

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const URL_443: &str = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    const PARAMS: &[u8] =
        b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
    const JSON: &[u8] = br#"{"property": "value", "boolean": true}"#;
    const JSON_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    fn key() -> TwilioWebhookKey {
        TwilioWebhookKey::new(Secret::new("12345"))
    }

    #[test]
    fn reference_signed_string() {
        assert_eq!(
            signed_string(URL, SignedBody::Form(PARAMS)),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
        );
    }

    #[test]
    fn reference_vector_form_params() {
        assert_eq!(key().sign(URL, SignedBody::Form(PARAMS)), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(key().verify(URL, SignedBody::Form(PARAMS), Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="), None), Ok(()));
    }

    #[test]
    fn reference_vector_explicit_port_and_both_port_variants_accepted() {
        assert_eq!(key().sign(URL_443, SignedBody::Form(PARAMS)), "kvajT1Ptam85bY51eRf/AJRuM3w=");
        // Twilio may sign with or without the port, whichever URL we reconstruct.
        for url in [URL, URL_443] {
            for signature in ["RSOYDt4T1cUTdK1PDd93/VVr8B8=", "kvajT1Ptam85bY51eRf/AJRuM3w="] {
                assert_eq!(
                    key().verify(url, SignedBody::Form(PARAMS), Some(signature), None),
                    Ok(()),
                    "{url} {signature}"
                );
            }
        }
    }

    #[test]
    fn reference_vector_repeated_params_sorted_and_deduplicated() {
        let params = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234";
        assert_eq!(key().sign(URL, SignedBody::Form(params)), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
        assert_eq!(key().verify(URL, SignedBody::Form(params), Some("IK+Dwps556ElfBT0I3Rgjkr1wJU="), None), Ok(()));
    }

    #[test]
    fn reference_vector_json_body() {
        let url = url_with_body_hash(URL, JSON);
        assert_eq!(url, format!("{URL}&bodySHA256={JSON_HASH}"));
        assert_eq!(key().sign(&url, SignedBody::Json(JSON)), "a9nBmqA0ju/hNViExpshrM61xv4=");
        assert_eq!(key().verify(&url, SignedBody::Json(JSON), Some("a9nBmqA0ju/hNViExpshrM61xv4="), None), Ok(()));
    }

    #[test]
    fn one_changed_byte_of_param_url_or_signature_is_refused() {
        let signature = Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        let changed_param =
            b"CallSid=CA1234567890ABCDF&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
        assert_eq!(key().verify(URL, SignedBody::Form(changed_param), signature, None), Err(SignatureError::Mismatch));
        let extra_param = [PARAMS, b"&Extra=1"].concat();
        assert_eq!(key().verify(URL, SignedBody::Form(&extra_param), signature, None), Err(SignatureError::Mismatch));
        let changed_url = URL.replace("foo=1", "foo=2");
        assert_eq!(
            key().verify(&changed_url, SignedBody::Form(PARAMS), signature, None),
            Err(SignatureError::Mismatch)
        );
        let http_url = URL.replace("https", "http");
        assert_eq!(key().verify(&http_url, SignedBody::Form(PARAMS), signature, None), Err(SignatureError::Mismatch));
        assert_eq!(
            key().verify(URL, SignedBody::Form(PARAMS), Some("RSOYDt4T1cUTdK1PDd94/VVr8B8="), None),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn wrong_key_missing_or_garbled_header_is_refused() {
        let other = TwilioWebhookKey::new(Secret::new("12346"));
        assert_eq!(
            other.verify(URL, SignedBody::Form(PARAMS), Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="), None),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(key().verify(URL, SignedBody::Form(PARAMS), None, None), Err(SignatureError::Missing));
        assert_eq!(
            key().verify(URL, SignedBody::Form(PARAMS), Some("not base64!"), None),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn json_body_must_match_its_hash() {
        let url = url_with_body_hash(URL, JSON);
        let signature = Some("a9nBmqA0ju/hNViExpshrM61xv4=");
        let mut body = JSON.to_vec();
        body[2] = b'P';
        assert_eq!(key().verify(&url, SignedBody::Json(&body), signature, None), Err(SignatureError::BodyHashMismatch));
        assert_eq!(key().verify(URL, SignedBody::Json(JSON), signature, None), Err(SignatureError::BodyHashMismatch));
        // A matching hash but a URL changed elsewhere still fails the signature.
        let changed = url.replace("bar=2", "bar=3");
        assert_eq!(key().verify(&changed, SignedBody::Json(JSON), signature, None), Err(SignatureError::Mismatch));
    }

    #[test]
    fn replaying_a_signature_on_another_url_is_refused() {
        let signature = key().sign("https://tunnel.example/twilio/status", SignedBody::Form(PARAMS));
        let replayed =
            key().verify("https://tunnel.example/twilio/amd", SignedBody::Form(PARAMS), Some(&signature), None);
        assert_eq!(replayed, Err(SignatureError::Mismatch));
    }

    #[test]
    fn media_stream_upgrade_is_signed_over_the_wss_url() {
        let public = "https://tunnel.example/twilio/media";
        let signature = key().sign("wss://tunnel.example/twilio/media", SignedBody::Empty);
        assert_eq!(key().verify(&websocket_url(public), SignedBody::Empty, Some(&signature), None), Ok(()));
        assert_eq!(key().verify(public, SignedBody::Empty, Some(&signature), None), Err(SignatureError::Mismatch));
        let with_port = key().sign("wss://tunnel.example:443/twilio/media", SignedBody::Empty);
        assert_eq!(key().verify(&websocket_url(public), SignedBody::Empty, Some(&with_port), None), Ok(()));
        assert_eq!(websocket_url("http://127.0.0.1:8080/m"), "ws://127.0.0.1:8080/m");
    }

    fn shared() -> TwilioWebhookKey {
        key().with_shared_key(Some(Secret::new("shared-key-secret")))
    }

    const SHA256_SETTINGS: &str = "key=webhooks_shared_key_01jabcdefghjkmnpqrstvwxyz0,algorithm=HMAC_SHA256";

    /// Vectors computed by the algorithm Twilio documents for shared keys ("Sign webhooks with
    /// shared keys", and twilio-node's examples/WebhookSignatureValidation.md: the same signed
    /// string, base64 HMAC-SHA256 keyed by the shared key's secret) with Python's `hmac`.
    #[test]
    fn reference_vectors_of_a_shared_key() {
        let sha256 = "E5VnwNBwyz0tCHTP5Dkbb6TefPRbPKoGqFaaypGFqwI=";
        assert_eq!(shared().sign_shared(URL, SignedBody::Form(PARAMS), TwilioAlgorithm::HmacSha256).unwrap(), sha256);
        assert_eq!(shared().verify(URL, SignedBody::Form(PARAMS), Some(sha256), Some(SHA256_SETTINGS)), Ok(()));
        let with_port = "LqqjlGLKMT5p/qarFgqd9DvrEaqm8Wzo8fggtvOJxRE=";
        assert_eq!(shared().verify(URL, SignedBody::Form(PARAMS), Some(with_port), Some(SHA256_SETTINGS)), Ok(()));
        let sha1 = "JZ3+sKp4qI8PcVObzMqSfc13Puc=";
        let sha1_settings = "key=webhooks_shared_key_01,algorithm=HMAC_SHA1";
        assert_eq!(shared().verify(URL, SignedBody::Form(PARAMS), Some(sha1), Some(sha1_settings)), Ok(()));
        // The classic auth-token signature still holds beside it.
        assert_eq!(shared().verify(URL, SignedBody::Form(PARAMS), Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="), None), Ok(()));
    }

    #[test]
    fn a_shared_key_signature_needs_that_key_and_its_own_algorithm() {
        let sha256 = Some("E5VnwNBwyz0tCHTP5Dkbb6TefPRbPKoGqFaaypGFqwI=");
        let form = SignedBody::Form(PARAMS);
        assert_eq!(key().verify(URL, form, sha256, Some(SHA256_SETTINGS)), Err(SignatureError::SharedKeyNotSet));
        assert_eq!(shared().verify(URL, form, sha256, None), Err(SignatureError::Mismatch), "not the auth token's");
        let other = key().with_shared_key(Some(Secret::new("another-shared-key")));
        assert_eq!(other.verify(URL, form, sha256, Some(SHA256_SETTINGS)), Err(SignatureError::Mismatch));
        let as_sha1 = "key=k,algorithm=HMAC_SHA1";
        assert_eq!(shared().verify(URL, form, sha256, Some(as_sha1)), Err(SignatureError::Mismatch));
        let unknown = "key=k,algorithm=HMAC_SHA512";
        assert_eq!(shared().verify(URL, form, sha256, Some(unknown)), Err(SignatureError::Malformed));
        let auth_token_signed = Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(shared().verify(URL, form, auth_token_signed, Some(SHA256_SETTINGS)), Err(SignatureError::Mismatch));
        assert_eq!(
            key().with_shared_key(Some(Secret::new(""))).sign_shared(URL, form, TwilioAlgorithm::HmacSha256),
            None
        );
    }

    #[test]
    fn port_variants() {
        assert_eq!(without_port(URL_443), URL);
        assert_eq!(with_default_port(URL), URL_443);
        assert_eq!(with_default_port("http://h/p"), "http://h:80/p");
        assert_eq!(with_default_port("http://h:8080/p"), "http://h:8080/p");
        assert_eq!(without_port("http://h:8080/p?x=1:2"), "http://h/p?x=1:2");
        assert_eq!(with_default_port("https://h?x=a:b"), "https://h:443?x=a:b");
        assert_eq!(without_port("https://user:pw@h:8443/p"), "https://user:pw@h/p");
        assert_eq!(without_port("https://[::1]:8443/p"), "https://[::1]/p");
        assert_eq!(with_default_port("https://[::1]/p"), "https://[::1]:443/p");
    }
}
