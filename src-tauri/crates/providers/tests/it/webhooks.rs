//! Signed webhooks over real HTTP: a fake signs with the same code our listener verifies with,
//! and the listener reconstructs the public URL, explicit port and all.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use switchboard_providers::Secret;
use switchboard_providers::signature::{
    ELEVENLABS_SIGNATURE_HEADER, ElevenLabsWebhookKey, SignedBody, TWILIO_SIGNATURE_HEADER, TwilioWebhookKey,
};
use switchboard_providers::twilio::{StatusCallback, TwilioCallStatus};

use crate::support::webhook_sender;

struct Keys {
    public_base: String,
    twilio: TwilioWebhookKey,
    elevenlabs: ElevenLabsWebhookKey,
}

async fn twilio_status(State(keys): State<Arc<Keys>>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let url = format!("{}{}", keys.public_base, uri);
    let signature = headers.get(TWILIO_SIGNATURE_HEADER).and_then(|value| value.to_str().ok());
    if keys.twilio.verify(&url, SignedBody::Form(&body), signature, None).is_err() {
        return StatusCode::FORBIDDEN;
    }
    match StatusCallback::parse(&body) {
        Ok(callback) if callback.call_status == TwilioCallStatus::Completed => StatusCode::NO_CONTENT,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn elevenlabs_webhook(State(keys): State<Arc<Keys>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get(ELEVENLABS_SIGNATURE_HEADER).and_then(|value| value.to_str().ok());
    match keys.elevenlabs.verify(signature, &body, std::time::SystemTime::now()) {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

async fn listener() -> String {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_base = format!("http://{}", socket.local_addr().unwrap());
    let keys = Arc::new(Keys {
        public_base: public_base.clone(),
        twilio: TwilioWebhookKey::new(Secret::new("twilio-token")),
        elevenlabs: ElevenLabsWebhookKey::new(Secret::new("whsec_live")),
    });
    let app = Router::new()
        .route("/twilio/status", post(twilio_status))
        .route("/elevenlabs/webhook", post(elevenlabs_webhook))
        .with_state(keys);
    tokio::spawn(async move { axum::serve(socket, app).await.unwrap() });
    public_base
}

#[tokio::test]
async fn a_signed_twilio_callback_is_accepted_and_a_tampered_one_refused() {
    let base = listener().await;
    let url = format!("{base}/twilio/status?call=7");
    let body = "AccountSid=AC1&CallSid=CA1&CallStatus=completed&CallDuration=42&SequenceNumber=3";
    let fake = TwilioWebhookKey::new(Secret::new("twilio-token"));
    let signature = fake.sign(&url, SignedBody::Form(body.as_bytes()));
    let http = webhook_sender();
    let send = |body: &'static str, signature: Option<String>| {
        let mut request = http.post(&url).header("content-type", "application/x-www-form-urlencoded").body(body);
        if let Some(signature) = signature {
            request = request.header(TWILIO_SIGNATURE_HEADER, signature);
        }
        request.send()
    };
    assert_eq!(send(body, Some(signature.clone())).await.unwrap().status(), 204);
    let tampered = "AccountSid=AC1&CallSid=CA1&CallStatus=completed&CallDuration=43&SequenceNumber=3";
    assert_eq!(send(tampered, Some(signature)).await.unwrap().status(), 403);
    assert_eq!(send(body, None).await.unwrap().status(), 403);
    let wrong_key = TwilioWebhookKey::new(Secret::new("other")).sign(&url, SignedBody::Form(body.as_bytes()));
    assert_eq!(send(body, Some(wrong_key)).await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_signed_elevenlabs_webhook_is_accepted_and_a_stale_one_refused() {
    let base = listener().await;
    let url = format!("{base}/elevenlabs/webhook");
    let body = r#"{"type":"post_call_transcription","event_timestamp":1,"data":{}}"#;
    let fake = ElevenLabsWebhookKey::new(Secret::new("whsec_live"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let http = webhook_sender();
    let send = |signature: String| http.post(&url).header(ELEVENLABS_SIGNATURE_HEADER, signature).body(body).send();
    assert_eq!(send(fake.sign(body.as_bytes(), now)).await.unwrap().status(), 200);
    assert_eq!(send(fake.sign(body.as_bytes(), now - 31 * 60)).await.unwrap().status(), 401);
    assert_eq!(send(fake.sign(b"{}", now)).await.unwrap().status(), 401);
}
