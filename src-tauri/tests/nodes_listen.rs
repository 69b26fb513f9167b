//! A call's audio across nodes: two `switchboard serve --team` nodes on one Postgres. Consoles
//! signed in to node A hear a call node B runs, over one stream from B, until B's close (the
//! call ended) reaches them as B sent it; a console keeps hearing when the session B's stream
//! was opened with ends; killing B ends the listening with a clear reason. A refuses a B whose
//! certificate is not the one B published in the registry. The recording of a call B ran plays
//! whole through A after B is killed.

// Shared with the other tests of nodes and of the team server: each uses some of them.
#[allow(dead_code)]
mod serve_nodes;
#[allow(dead_code)]
mod team_client;
mod team_node;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use switchboard_core::CallId;
use switchboard_store::{RecordingPlace, Store, StoredRecording};
use team_client::{Client, Events, closed, open_socket, start_quote_call};
use team_node::{TeamNode, add_user};
use tokio_tungstenite::tungstenite::{self, Message};

/// Runs `statement` on the shared database and returns its first row's first column, if any (on
/// a thread of its own: the `postgres` client may not run inside the test's runtime).
fn sql(url: &str, statement: &str) -> Option<i64> {
    let (url, statement) = (url.to_owned(), statement.to_owned());
    std::thread::spawn(move || {
        let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        db.query(&statement, &[]).unwrap().first().map(|row| row.get(0))
    })
    .join()
    .unwrap()
}

/// How many times `name` was let listen in, as the audit log of both nodes has it.
fn listens_audited(url: &str, name: &str) -> i64 {
    let query = format!(
        "SELECT count(*) FROM audit_log WHERE user_name = '{name}' AND operation = 'listen_to_call' AND outcome = 'ok'"
    );
    sql(url, &query).unwrap()
}

/// Reads `socket` until it has brought both parties' live frames.
async fn hear_both_parties(socket: &mut Events) {
    let hearing = async {
        let mut parties = BTreeSet::new();
        while parties.len() < 2 {
            match socket.next().await.expect("the listen-in socket ended").unwrap() {
                Message::Binary(frame) => {
                    assert_eq!(frame.len(), 161, "a party's byte, then 20 ms of 8 kHz mu-law");
                    parties.insert(frame[0]);
                }
                Message::Close(close) => panic!("listening ended before both parties were heard: {close:?}"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(90), hearing).await.expect("both parties were not heard");
}

/// Reads `socket` until its first live frame.
async fn first_frame(socket: &mut Events) {
    let frame = async {
        loop {
            match socket.next().await.expect("the listen-in socket ended").unwrap() {
                Message::Binary(_) => return,
                Message::Close(close) => panic!("listening ended before a frame: {close:?}"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(90), frame).await.expect("no frame came");
}

/// The team server's refusal to open the WebSocket at `path`: its status and message.
async fn refusal(node: &TeamNode, token: &str, path: &str) -> (u16, String) {
    let Err(tungstenite::Error::Http(refused)) = open_socket(node, &node.tls(), token, path).await else {
        panic!("{path} opened");
    };
    let body: Value = serde_json::from_slice(refused.body().as_deref().unwrap_or_default()).unwrap();
    (refused.status().as_u16(), body["message"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn consoles_on_one_node_hear_a_call_another_node_runs_until_it_ends_or_the_node_dies() {
    let url = switchboard_store::testing::postgres_url();
    add_user(&url, "ana", "dispatcher");
    add_user(&url, "vic", "viewer");
    let (a, mut b) = (TeamNode::start(&url), TeamNode::start(&url));
    let mut on_a = Client::new(&a, a.tls());
    let mut on_b = Client::new(&b, b.tls());
    let dispatching = on_b.sign_in("ana").await;
    let (ana, vic) = (on_a.sign_in("ana").await, on_a.sign_in("vic").await);

    // B runs the call, and its registry row says how to reach its team server.
    let call = start_quote_call(&mut on_b, &dispatching).await;
    let store = Store::open_postgres(&url).unwrap();
    let runner = store.call_running_elsewhere(CallId(call)).unwrap().expect("a node runs the call");
    assert_eq!(runner.team_url, Some(format!("https://{}", b.address)));
    assert_eq!(runner.cert_sha256.as_deref(), Some(b.fingerprint.as_str()));

    // A certificate that is not the one B published: A refuses to connect.
    let listen = format!("/api/v1/listen/{call}");
    store.publish_team_server(runner.id, runner.team_url.as_deref(), &a.fingerprint).unwrap();
    let (status, message) = refusal(&a, &vic, &listen).await;
    assert_eq!(status, 502, "{message}");
    assert!(message.starts_with(&format!("the node running call {call} is not reachable")), "{message}");
    assert!(
        message.contains(&format!("its certificate (SHA-256 {}) is not the one its node published", b.fingerprint))
    );
    store.publish_team_server(runner.id, runner.team_url.as_deref(), &b.fingerprint).unwrap();

    // Vic listens on A first (B's stream is opened with Vic's session), then Ana: one stream.
    let mut vic_hears = open_socket(&a, &a.tls(), &vic, &listen).await.unwrap();
    first_frame(&mut vic_hears).await;
    let mut ana_hears = open_socket(&a, &a.tls(), &ana, &listen).await.unwrap();
    hear_both_parties(&mut ana_hears).await;
    hear_both_parties(&mut vic_hears).await;
    assert_eq!(listens_audited(&url, "vic"), 2, "on A, and on B for A's stream");
    assert_eq!(listens_audited(&url, "ana"), 1, "on A only: no second stream from B");

    // Vic's session ends: Vic is told to sign in again; Ana hears on (B's stream, opened again
    // with Ana's session) until the dispatcher hangs up, and is told so as B told A.
    let expire =
        "UPDATE team_sessions SET expires_at = 0 WHERE user_id = (SELECT id FROM team_users WHERE name = 'vic')";
    sql(&url, expire);
    assert_eq!(closed(&mut vic_hears).await.0, 4401);
    let reopened = async {
        while listens_audited(&url, "ana") < 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), reopened).await.expect("B's stream was not opened again");
    let (status, ended) =
        on_b.op("control_call", Some(&dispatching), json!({"callId": call, "action": "end", "text": ""})).await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(closed(&mut ana_hears).await, (1000, "the call ended".to_owned()));

    // Another call on B: B is killed while Vic listens on A, who is told why the listening ended.
    let vic = on_a.sign_in("vic").await;
    let call = start_quote_call(&mut on_b, &dispatching).await;
    let mut vic_hears = open_socket(&a, &a.tls(), &vic, &format!("/api/v1/listen/{call}")).await.unwrap();
    hear_both_parties(&mut vic_hears).await;
    b.node.process.kill().unwrap();
    b.node.process.wait().unwrap();
    let cut_off = (4502, format!("the node running call {call} is not reachable"));
    assert_eq!(closed(&mut vic_hears).await, cut_off);
}

/// The recording of a call node B ran went into the team's database as the call ended, so node
/// A plays it whole once B is killed, and B's disk keeps no copy.
#[tokio::test(flavor = "multi_thread")]
async fn a_recording_of_a_call_a_killed_node_ran_plays_whole_through_another_node() {
    let url = switchboard_store::testing::postgres_url();
    add_user(&url, "ana", "dispatcher");
    let (a, mut b) = (TeamNode::start_at(&url, "10"), TeamNode::start_at(&url, "10"));
    let mut on_b = Client::new(&b, b.tls());
    let token = on_b.sign_in("ana").await;
    let call = CallId(start_quote_call(&mut on_b, &token).await);

    let store = Store::open_postgres(&url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (recorded, chunks) = loop {
        match store.stored_recording(call).unwrap() {
            Some(StoredRecording { info, place: RecordingPlace::Database { chunks } }) => break (info, chunks),
            other => {
                assert!(Instant::now() < deadline, "call {call}'s recording never reached the database: {other:?}")
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stored: Vec<u8> = (0..chunks).flat_map(|seq| store.recording_chunk(call, seq).unwrap().unwrap()).collect();
    assert_eq!(stored.len() as u64, recorded.bytes, "the size node B measured of its file");
    let on_b_disk = b.node.dir.path().join("recordings").join(&recorded.file);
    assert!(!on_b_disk.exists(), "the database holds the one copy");
    b.node.process.kill().unwrap();
    b.node.process.wait().unwrap();

    let mut on_a = Client::new(&a, a.tls());
    let token = on_a.sign_in("ana").await;
    let played = on_a.http.get(format!("{}/api/v1/recordings/{call}", on_a.base)).bearer_auth(&token).send().await;
    let played = played.unwrap();
    assert_eq!(played.status(), 200);
    assert_eq!(played.headers()["content-type"], "audio/wav");
    assert_eq!(played.headers()["content-length"], recorded.bytes.to_string().as_str());
    let played = played.bytes().await.unwrap();
    assert!(played == stored, "node A served other bytes than node B stored");
    let riff_size = u32::from_le_bytes(played[4..8].try_into().unwrap());
    assert_eq!((&played[..4], &played[8..12], riff_size as usize), (&b"RIFF"[..], &b"WAVE"[..], played.len() - 8));
}
