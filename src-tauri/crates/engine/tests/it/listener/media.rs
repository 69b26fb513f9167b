//! The media stream WebSocket over a real socket: a signed upgrade is accepted, and its stream
//! closed when its `start` names no pipeline call expecting it; an unsigned one is refused before
//! any upgrade. (Streams that are expected run calls: see the sim crate's pipeline tests.)

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use switchboard_engine::server::serve;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::{Fixture, twilio_websocket_signature};

async fn listening(fixture: &Fixture) -> SocketAddr {
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), fixture.state.clone()).await.unwrap();
    bound
}

#[tokio::test]
async fn a_signed_upgrade_is_accepted_and_a_stream_no_call_expects_is_closed() {
    let fixture = Fixture::new();
    let bound = listening(&fixture).await;
    let mut request = format!("ws://{bound}/twilio/media").into_client_request().unwrap();
    let signature = twilio_websocket_signature("wss://tunnel.example/twilio/media");
    request.headers_mut().insert("x-twilio-signature", signature.parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(response.headers().contains_key("x-request-id"));
    for frame in [
        r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
        r#"{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"callId":"7","token":"guess"}}}"#,
    ] {
        socket.send(Message::text(frame)).await.unwrap();
    }
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await.unwrap();
    let Some(Ok(Message::Close(Some(close)))) = answer else { panic!("expected a close frame: {answer:?}") };
    assert_eq!(u16::from(close.code), 1008, "policy violation: {close:?}");
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0, "media frames never go to the inbox");
}

#[tokio::test]
async fn an_unsigned_or_wrongly_signed_upgrade_is_refused() {
    let fixture = Fixture::new();
    let bound = listening(&fixture).await;
    let unsigned = format!("ws://{bound}/twilio/media").into_client_request().unwrap();
    let mut https_signed = unsigned.clone();
    // Signed over the https URL instead of the wss one Twilio uses.
    let signature = twilio_websocket_signature("https://tunnel.example/twilio/media");
    https_signed.headers_mut().insert("x-twilio-signature", signature.parse().unwrap());
    for request in [unsigned, https_signed] {
        let error = tokio_tungstenite::connect_async(request).await.unwrap_err();
        let tokio_tungstenite::tungstenite::Error::Http(response) = error else { panic!("{error}") };
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
