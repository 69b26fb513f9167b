//! The media stream WebSocket over a real socket: a signed upgrade is accepted, and its stream
//! closed when its `start` names no pipeline call expecting it, when its `start` is late, or when
//! a message is oversized (refused as it is read: the process's memory stays flat); an unsigned
//! one is refused before any upgrade. (Streams that are expected run calls: see the sim crate's
//! pipeline tests.)

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use switchboard_telephony::listener::{ListenerSettings, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::{Fixture, PUBLIC, secrets, twilio_websocket_signature};

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

/// A signed media stream upgrade to the listener at `bound`.
fn signed_upgrade(bound: SocketAddr) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("ws://{bound}/twilio/media").into_client_request().unwrap();
    let signature = twilio_websocket_signature("wss://tunnel.example/twilio/media");
    request.headers_mut().insert("x-twilio-signature", signature.parse().unwrap());
    request
}

#[tokio::test]
async fn a_stream_silent_past_the_start_deadline_is_closed_with_the_reason() {
    let settings = ListenerSettings { media_start_within: Duration::from_millis(300), ..ListenerSettings::new(PUBLIC) };
    let fixture = Fixture::with(secrets(), settings);
    let bound = listening(&fixture).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(signed_upgrade(bound)).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(3), socket.next()).await.expect("the stream was left open");
    let Some(Ok(Message::Close(Some(close)))) = answer else { panic!("expected a close frame: {answer:?}") };
    assert_eq!(u16::from(close.code), 1008, "policy violation: {close:?}");
    assert_eq!(close.reason.as_str(), "no start message within 300 ms");
}

/// The process's resident memory and its peak so far, in KiB (from `/proc/self/status`).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        let line = status.lines().find(|line| line.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test]
async fn a_60_mib_message_before_start_is_refused_as_it_is_read_and_memory_stays_flat() {
    const MESSAGE_BYTES: usize = 60 * 1024 * 1024;
    let fixture = Fixture::new();
    let bound = listening(&fixture).await;
    // A raw socket, so the test streams the message from a small buffer instead of holding it.
    let mut socket = TcpStream::connect(bound).await.unwrap();
    let signature = twilio_websocket_signature("wss://tunnel.example/twilio/media");
    let upgrade = format!(
        "GET /twilio/media HTTP/1.1\r\nHost: {bound}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         X-Twilio-Signature: {signature}\r\n\r\n"
    );
    socket.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0_u8];
        socket.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));

    let (rss_before, peak_before) = memory_kib();
    // 60 MiB in frames of 16 KiB (each within any frame limit; a message limit is what stops
    // it): a text frame, then continuations, the last one final; masked with a zero key.
    const FRAME_BYTES: usize = 16 * 1024;
    let payload = vec![b'a'; FRAME_BYTES];
    let mut sent = 0;
    let sending = async {
        while sent < MESSAGE_BYTES {
            let opcode = if sent == 0 { 0x1 } else { 0x0 };
            let fin = if sent + FRAME_BYTES == MESSAGE_BYTES { 0x80 } else { 0 };
            let mut frame = vec![fin | opcode, 0x80 | 126];
            frame.extend_from_slice(&(FRAME_BYTES as u16).to_be_bytes());
            frame.extend_from_slice(&[0, 0, 0, 0]);
            frame.extend_from_slice(&payload);
            socket.write_all(&frame).await?;
            sent += FRAME_BYTES;
        }
        std::io::Result::Ok(())
    };
    let outcome = tokio::time::timeout(Duration::from_secs(30), sending)
        .await
        .expect("the listener stopped reading but kept the socket");
    assert!(outcome.is_err(), "all 60 MiB were taken ({sent} bytes sent)");
    assert!(sent < MESSAGE_BYTES / 4, "the listener read {sent} bytes of an oversized message before refusing it");
    let (rss_after, peak_after) = memory_kib();
    assert!(
        peak_after.saturating_sub(peak_before) < 16 * 1024,
        "memory grew: peak {peak_before} → {peak_after} KiB, resident {rss_before} → {rss_after} KiB"
    );
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0);
}
