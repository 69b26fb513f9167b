//! Every client's `check_connection` (through `ConnectionTarget`) against a loopback provider: the exact authenticated
//! request, 200 → connected, 401 → key refused naming the provider, 500 → unreachable with the
//! body's excerpt, a closed port or a stall → unreachable; one request each (never retried), and
//! the key in no error text even when the provider echoes it.

use std::time::Duration;

use serde_json::json;
use switchboard_providers::{ConnectionCheck, ConnectionTarget, Credentials, Provider, ProviderError, Secret};

use crate::support::{basic_auth, fast_settings};
use switchboard_fakes::scripted::{Loopback, Recorded, Reply};

const KEY: &str = "sk-check-5e1f0a9b7c";
const ACCOUNT_SID: &str = "AC0123456789abcdef";

const PROVIDERS: [Provider; 6] = [
    Provider::Twilio,
    Provider::ElevenLabs,
    Provider::Deepgram,
    Provider::Anthropic,
    Provider::Ultravox,
    Provider::Vapi,
];

/// Runs `provider`'s connection check against `base_url` with the test key.
async fn check(provider: Provider, base_url: &str) -> ConnectionCheck {
    let credentials = match provider {
        Provider::Twilio => Credentials::Twilio { account_sid: ACCOUNT_SID.into(), auth_token: Secret::new(KEY) },
        _ => Credentials::ApiKey(Secret::new(KEY)),
    };
    let target = ConnectionTarget::new(provider, base_url, credentials, &fast_settings()).unwrap();
    assert_eq!(target.provider(), provider);
    target.check().await
}

/// Asserts `request` is `provider`'s documented check: the path and the key header.
fn assert_check_request(provider: Provider, request: &Recorded) {
    let (path, header, value) = match provider {
        Provider::Twilio => {
            (format!("/2010-04-01/Accounts/{ACCOUNT_SID}.json"), "authorization", basic_auth(ACCOUNT_SID, KEY))
        }
        Provider::ElevenLabs => ("/v1/convai/agents?page_size=1".into(), "xi-api-key", KEY.into()),
        Provider::Deepgram => ("/v1/projects".into(), "authorization", format!("Token {KEY}")),
        Provider::Anthropic => ("/v1/models?limit=1".into(), "x-api-key", KEY.into()),
        Provider::Ultravox => ("/api/accounts/me".into(), "x-api-key", KEY.into()),
        Provider::Vapi => ("/assistant?limit=1".into(), "authorization", format!("Bearer {KEY}")),
    };
    assert_eq!((request.method.as_str(), request.uri.as_str()), ("GET", path.as_str()), "{provider}");
    assert_eq!(request.header(header), Some(value.as_str()), "{provider}");
    if provider == Provider::Anthropic {
        assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    }
}

fn assert_keyless(provider: Provider, error: &ProviderError) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(KEY), "{provider}: the key leaked into {text}");
    assert_eq!(error.provider(), provider);
}

#[tokio::test]
async fn a_working_key_is_connected_with_one_authenticated_request() {
    for provider in PROVIDERS {
        let server = Loopback::start(vec![Reply::json(200, json!({"data": []}))]).await;
        assert_eq!(check(provider, &server.base_url).await, ConnectionCheck::Connected, "{provider}");
        assert_check_request(provider, &server.single());
    }
}

#[tokio::test]
async fn a_refused_key_names_the_provider_is_not_retried_and_never_shows_the_key() {
    for (provider, status) in PROVIDERS.into_iter().zip([401, 403, 401, 401, 403, 401]) {
        // Some providers echo what they were sent; the excerpt masks it.
        let body = json!({"detail": {"status": "invalid_api_key", "message": format!("Invalid API key {KEY}")}});
        let server = Loopback::start(vec![Reply::json(status, body)]).await;
        let outcome = check(provider, &server.base_url).await;
        let ConnectionCheck::KeyRefused(error) = &outcome else { panic!("{provider}: {outcome:?}") };
        assert_eq!(error.status(), Some(status));
        let message = error.to_string();
        assert!(message.starts_with(&format!("{provider} answered HTTP {status}")), "{message}");
        assert!(message.contains("Invalid API key ••••"), "{message}");
        assert_keyless(provider, error);
        server.single();
    }
}

#[tokio::test]
async fn a_key_echoed_encoded_by_a_proxy_is_masked_in_every_form() {
    use base64::Engine as _;
    for provider in PROVIDERS {
        // What a proxy in front of the provider might echo: the Basic header Twilio is sent
        // (base64 of `sid:token`), and any key base64- and URL-encoded.
        let basic = basic_auth(ACCOUNT_SID, KEY);
        let base64_key = base64::engine::general_purpose::STANDARD.encode(KEY);
        let url_key: String = form_urlencoded::byte_serialize(format!("{KEY}/").as_bytes()).collect();
        let body = json!({"error": "proxy refused", "authorization": basic, "key": base64_key, "query": url_key});
        let server = Loopback::start(vec![Reply::json(407, body)]).await;
        let outcome = check(provider, &server.base_url).await;
        let (ConnectionCheck::KeyRefused(error) | ConnectionCheck::Unreachable(error)) = &outcome else {
            panic!("{provider}: {outcome:?}")
        };
        let text = format!("{error} {error:?}");
        let basic_encoded = basic.trim_start_matches("Basic ");
        for leak in [KEY, basic_encoded, base64_key.trim_end_matches('='), url_key.trim_end_matches("%2F")] {
            assert!(!text.contains(leak), "{provider}: {leak} leaked into {text}");
        }
        if provider == Provider::Twilio {
            assert!(text.contains("\"authorization\":\"Basic ••••\""), "{text}");
        }
        server.single();
    }
}

#[tokio::test]
async fn a_server_error_is_unreachable_with_the_excerpt_and_not_retried() {
    for provider in PROVIDERS {
        let server = Loopback::start(vec![Reply::json(500, json!({"error": "upstream overloaded"}))]).await;
        let outcome = check(provider, &server.base_url).await;
        let ConnectionCheck::Unreachable(error) = &outcome else { panic!("{provider}: {outcome:?}") };
        assert_eq!(error.to_string(), format!(r#"{provider} answered HTTP 500: {{"error":"upstream overloaded"}}"#));
        assert_keyless(provider, error);
        server.single();
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for provider in PROVIDERS {
        let outcome = check(provider, &closed).await;
        let ConnectionCheck::Unreachable(error @ ProviderError::Unreachable { .. }) = &outcome else {
            panic!("{provider}: {outcome:?}")
        };
        assert!(error.to_string().starts_with(&format!("could not reach {provider}: ")), "{error}");
        assert_keyless(provider, error);
    }
}

#[tokio::test]
async fn a_stalled_provider_is_unreachable_within_the_request_timeout() {
    for provider in [Provider::Vapi, Provider::Anthropic] {
        let server = Loopback::start(vec![Reply::json(200, json!({})).after(Duration::from_secs(3))]).await;
        let started = std::time::Instant::now();
        let outcome = check(provider, &server.base_url).await;
        assert_eq!(outcome, ConnectionCheck::Unreachable(ProviderError::Timeout { provider }));
        // fast_settings' request timeout is 500 ms.
        assert!(started.elapsed() < Duration::from_millis(1500), "{provider}: took {:?}", started.elapsed());
    }
}
