//! Every way a provider authenticates its webhooks today reaches the inbox through the real
//! listener: Twilio's shared-key HMAC-SHA256 beside the auth token's HMAC-SHA1, and each of
//! Vapi's credentials (bearer with and without its prefix, a header of its own, HMAC).

use axum::http::StatusCode;
use switchboard_providers::Secret;
use switchboard_providers::signature::{
    SignedBody, TWILIO_SIGNATURE_HEADER, TWILIO_SIGNATURE_SETTINGS_HEADER, TwilioAlgorithm, VapiWebhookKey,
};
use switchboard_telephony::listener::{ListenerSettings, WebhookSecrets};

use super::{
    CALL_SID, Fixture, PUBLIC, secrets, twilio_key, twilio_request, twilio_status, unix_now, vapi_request_with,
    vapi_secret,
};

/// A Twilio status callback signed by a Webhook Setting with `algorithm` and the shared key.
fn shared_key_request(body: &[u8], algorithm: TwilioAlgorithm) -> axum::http::Request<axum::body::Body> {
    let url = format!("{PUBLIC}/twilio/status");
    let signature = twilio_key().sign_shared(&url, SignedBody::Form(body), algorithm).unwrap();
    let mut request = twilio_request("/twilio/status", body);
    let headers = request.headers_mut();
    headers.insert(TWILIO_SIGNATURE_HEADER, signature.parse().unwrap());
    let settings = format!("key=webhooks_shared_key_01,algorithm={}", algorithm.wire_name());
    headers.insert(TWILIO_SIGNATURE_SETTINGS_HEADER, settings.parse().unwrap());
    request
}

#[tokio::test]
async fn twilio_webhooks_signed_with_the_shared_key_or_the_auth_token_are_both_taken() {
    let fixture = Fixture::new();
    let ringing = twilio_status(CALL_SID, "ringing", 1);
    let response = fixture.send(shared_key_request(&ringing, TwilioAlgorithm::HmacSha256)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let in_progress = twilio_status(CALL_SID, "in-progress", 2);
    assert_eq!(fixture.send(twilio_request("/twilio/status", &in_progress)).await.status(), StatusCode::OK);
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 2);

    // Said to be the shared key's, but signed with the auth token: refused.
    let mut forged = twilio_request("/twilio/status", &twilio_status(CALL_SID, "completed", 3));
    forged.headers_mut().insert(TWILIO_SIGNATURE_SETTINGS_HEADER, "key=k,algorithm=HMAC_SHA256".parse().unwrap());
    assert_eq!(fixture.send(forged).await.status(), StatusCode::FORBIDDEN);

    // A listener with no shared key set refuses shared-key signatures.
    let no_shared_key = WebhookSecrets { twilio_shared_key: None, ..secrets() };
    let fixture = Fixture::with(no_shared_key, ListenerSettings::new(PUBLIC));
    let response = fixture.send(shared_key_request(&ringing, TwilioAlgorithm::HmacSha256)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0);
}

#[tokio::test]
async fn each_vapi_credential_is_taken_and_a_wrong_one_refused() {
    let fixture = Fixture::new();
    let message =
        |n: u32| format!(r#"{{"message":{{"type":"status-update","status":"ringing","call":{{"id":"v{n}"}}}}}}"#);
    let bearer = format!("Bearer {}", vapi_secret());
    let hmac = VapiWebhookKey::new(Secret::new(vapi_secret()));
    let now = unix_now().to_string();
    let signed = hmac.sign(message(5).as_bytes(), &now);
    let accepted: [(&str, Vec<(&str, &str)>); 5] = [
        ("bearer", vec![("authorization", &bearer)]),
        ("bearer without its prefix", vec![("authorization", vapi_secret())]),
        ("the old X-Vapi-Secret", vec![("x-vapi-secret", vapi_secret())]),
        ("a header of its own", vec![("x-dispatch-credential", &bearer)]),
        ("HMAC", vec![("x-signature", &signed), ("x-timestamp", &now)]),
    ];
    for (n, (what, headers)) in accepted.iter().enumerate() {
        let response = fixture.send(vapi_request_with(message(n as u32 + 1).as_bytes(), headers)).await;
        assert_eq!(response.status(), StatusCode::OK, "{what}");
    }
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 5);

    let stale = (unix_now() - 600).to_string();
    let stale_signature = hmac.sign(message(6).as_bytes(), &stale);
    let refused: [(&str, Vec<(&str, &str)>); 4] = [
        ("no credential", vec![]),
        ("a wrong bearer", vec![("authorization", "Bearer guess")]),
        ("HMAC over another body", vec![("x-signature", &signed), ("x-timestamp", &now)]),
        ("a stale HMAC", vec![("x-signature", &stale_signature), ("x-timestamp", &stale)]),
    ];
    for (what, headers) in refused {
        let response = fixture.send(vapi_request_with(message(6).as_bytes(), &headers)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 5, "no refused message is written");
}
