//! Requests that never finish, over real sockets from loopback: more unfinished heads and bodies
//! than one address may hold are closed or refused at once, `/health` and a signed webhook are
//! answered while the rest are held, and every slow connection (and an idle kept-alive one) is
//! closed once its timeout passes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use switchboard_telephony::listener::{ListenerSettings, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{CALL_SID, Fixture, PUBLIC, http_client, secrets, twilio_form_signature, twilio_status};

const HEADER_TIMEOUT: Duration = Duration::from_millis(1500);
const BODY_TIMEOUT: Duration = Duration::from_millis(1500);
const UNIDENTIFIED_PER_PEER: usize = 4;
const BODIES_PER_CLIENT: usize = 4;
/// More of each than one address may hold.
const ATTACKS: usize = 10;

async fn listening() -> (Fixture, SocketAddr) {
    let settings = ListenerSettings {
        header_timeout: HEADER_TIMEOUT,
        body_timeout: BODY_TIMEOUT,
        max_connections: 64,
        max_unidentified_per_peer: UNIDENTIFIED_PER_PEER,
        max_bodies_read_per_client: BODIES_PER_CLIENT,
        ..ListenerSettings::new(PUBLIC)
    };
    let fixture = Fixture::with(secrets(), settings);
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), fixture.state.clone()).await.unwrap();
    (fixture, bound)
}

/// A connection that sent `start` and then nothing more.
async fn stalled(bound: SocketAddr, start: &str) -> TcpStream {
    let mut socket = TcpStream::connect(bound).await.unwrap();
    socket.write_all(start.as_bytes()).await.unwrap();
    socket
}

/// What the listener sent on `socket` within `wait`, and whether it closed the connection.
async fn answer_within(socket: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_still_open) => return (String::from_utf8_lossy(&received).into_owned(), false),
        }
    }
}

/// `/health` and a signed webhook through the tunnel, answered now.
async fn answered_meanwhile(bound: SocketAddr) {
    let client = http_client();
    let health = client.get(format!("http://{bound}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let report: serde_json::Value = health.json().await.unwrap();
    assert_eq!(report["status"], "listening");
    let body = twilio_status(CALL_SID, "ringing", 1);
    let webhook = client
        .post(format!("http://{bound}/twilio/status"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", twilio_form_signature("/twilio/status", &body))
        .header("x-forwarded-for", "54.172.60.1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), 200);
}

#[tokio::test]
async fn unfinished_heads_past_a_peers_share_are_closed_and_the_rest_time_out() {
    let (fixture, bound) = listening().await;
    let mut heads = Vec::new();
    for _ in 0..ATTACKS {
        heads.push(stalled(bound, "POST /twilio/status HTTP/1.1\r\nHost: tunnel.example\r\nX-Forwa").await);
    }
    let opened = Instant::now();
    let mut closed_at_once = 0;
    for head in &mut heads {
        if answer_within(head, Duration::from_millis(100)).await.1 {
            closed_at_once += 1;
        }
    }
    assert_eq!(closed_at_once, ATTACKS - UNIDENTIFIED_PER_PEER, "the peer's oldest heads made room for its newest");

    answered_meanwhile(bound).await;
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 1, "the signed webhook was stored");
    assert!(opened.elapsed() < HEADER_TIMEOUT, "answered while the slow heads were held");

    for head in &mut heads {
        let (answer, closed) = answer_within(head, HEADER_TIMEOUT * 2).await;
        assert!(closed, "a slow head was kept past the header timeout");
        assert_eq!(answer, "", "no request was ever read from it");
    }
}

#[tokio::test]
async fn unfinished_bodies_past_a_clients_share_are_refused_and_the_rest_time_out() {
    let (fixture, bound) = listening().await;
    let head = "POST /twilio/status HTTP/1.1\r\nHost: tunnel.example\r\nX-Forwarded-For: 203.0.113.66\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nCallSid=CA";
    let mut bodies = Vec::new();
    for _ in 0..ATTACKS {
        bodies.push(stalled(bound, head).await);
    }
    let opened = Instant::now();
    let (mut refused, mut held) = (0, Vec::new());
    for mut body in bodies {
        let (answer, _) = answer_within(&mut body, Duration::from_millis(100)).await;
        if answer.starts_with("HTTP/1.1 429") {
            refused += 1;
        } else {
            assert_eq!(answer, "", "a held body was answered early");
            held.push(body);
        }
    }
    assert_eq!((refused, held.len()), (ATTACKS - BODIES_PER_CLIENT, BODIES_PER_CLIENT));

    answered_meanwhile(bound).await;
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 1, "only the signed webhook was stored");
    assert!(opened.elapsed() < BODY_TIMEOUT, "answered while the slow bodies were held");

    for body in &mut held {
        let (answer, _) = answer_within(body, BODY_TIMEOUT * 2).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 1, "no partial body was stored");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let (_fixture, bound) = listening().await;
    let mut socket = stalled(bound, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    let (answer, closed) = answer_within(&mut socket, Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 200") && !closed, "answered and kept alive: {answer}");
    let idle = Instant::now();
    let (_, closed) = answer_within(&mut socket, HEADER_TIMEOUT * 2).await;
    assert!(closed, "an idle connection was kept past the header timeout");
    assert!(idle.elapsed() >= HEADER_TIMEOUT - Duration::from_millis(400), "closed after {:?}", idle.elapsed());
}
