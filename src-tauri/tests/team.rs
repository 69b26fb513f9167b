//! The team server, with the real `switchboard` binary on a fresh profile: accounts made with
//! `team add-user`, `serve --team` over real TLS on loopback (its self-signed certificate made
//! once, its printed fingerprint the one served), sign-in, an operation, the event stream, a
//! viewer's launch refused, expired, forged and missing tokens refused, the audit rows, and no
//! provider key in any answer; a call's recording and its live audio for a console's speakers.

mod team_client;

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use switchboard_fakes::team_announcement::team_server_address;
use team_client::{Client, Events, PASSWORD, TeamServer, closed, open_socket, start_quote_call, tls_with, trusting};
use tokio_tungstenite::tungstenite::Message;

/// A provider key the server holds: it must never reach a console.
const VAPI_KEY: &str = "vapi-team-key-never-sent";

/// A fresh profile and the `switchboard` binary over it.
struct Profile {
    _dir: tempfile::TempDir,
    data: PathBuf,
}

impl Profile {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("profile");
        std::fs::create_dir_all(&data).unwrap();
        Self { _dir: dir, data }
    }

    fn switchboard(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.env("SWITCHBOARD_DATA_DIR", &self.data).env("RUST_LOG", "warn");
        let closed = format!("http://127.0.0.1:{}", free_port());
        for provider in ["TWILIO", "ELEVENLABS", "DEEPGRAM", "ANTHROPIC", "ULTRAVOX", "VAPI"] {
            command.env(format!("SWITCHBOARD_{provider}_BASE_URL"), &closed);
        }
        command
    }

    /// `switchboard team add-user NAME --role ROLE`, the password on standard input.
    fn add_user(&self, name: &str, role: &str, password: &str) -> std::process::Output {
        let mut child = self
            .switchboard()
            .args(["team", "add-user", name, "--role", role])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    }

    fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.data.join("switchboard.sqlite3")).unwrap()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `serve --team`, killed when the test ends.
struct Server {
    child: Child,
    address: String,
    fingerprint: String,
}

impl Server {
    /// A server whose simulated calls take 20 times as long as in real life (they stay on the line).
    fn start(profile: &Profile) -> Self {
        Self::start_at(profile, "0.05")
    }

    /// A server whose simulated calls run at `time_scale` (1: real time).
    fn start_at(profile: &Profile, time_scale: &str) -> Self {
        let mut command = profile.switchboard();
        command
            .args(["serve", "--no-keychain", "--port", &free_port().to_string(), "--public-url", "https://sb.example"])
            .args(["--team", "--bind", "127.0.0.1:0"])
            .env("VAPI_API_KEY", VAPI_KEY)
            .env("SWITCHBOARD_SIM_CAST", "cooperative")
            .env("SWITCHBOARD_SIM_TIME_SCALE", time_scale);
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let (address, fingerprint) = team_server_address(&mut child);
        Self { child, address, fingerprint }
    }
}

impl TeamServer for Server {
    fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The event stream of `server`, opened with `token`.
async fn open_events(server: &Server, tls: &Arc<ClientConfig>, token: &str) -> Events {
    open_socket(server, tls, token, "/api/v1/events").await.unwrap()
}

/// The audit log: who, what, how it went.
fn audit_rows(profile: &Profile) -> Vec<(String, String, String)> {
    let db = profile.database();
    let mut rows = db.prepare("SELECT user_name, operation, outcome FROM audit_log ORDER BY id").unwrap();
    rows.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).unwrap().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_server_serves_signed_in_accounts_by_role_over_tls_and_audits_them() {
    let profile = Profile::new();
    for (name, role) in [("ana", "dispatcher"), ("vic", "viewer")] {
        let added = profile.add_user(name, role, PASSWORD);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    }
    let short = profile.add_user("bo", "admin", "short");
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("at least 8"));

    let server = Server::start(&profile);
    let cert = profile.data.join("team-tls/cert.pem");
    let served = CertificateDer::pem_file_iter(&cert).unwrap().next().unwrap().unwrap();
    let digest: Vec<String> = Sha256::digest(served.as_ref()).iter().map(|byte| format!("{byte:02X}")).collect();
    assert_eq!(server.fingerprint, digest.join(":"), "the fingerprint printed is the certificate's");

    // A client that does not trust the certificate gets no answer at all.
    let stranger = Client::new(&server, tls_with(RootCertStore::empty()));
    let refused = stranger.http.post(format!("{}/api/v1/session", stranger.base)).send().await;
    assert!(refused.is_err(), "an untrusted certificate is refused");

    let tls = trusting(&cert);
    let mut client = Client::new(&server, Arc::clone(&tls));
    let (status, wrong) =
        client.post("/api/v1/session", None, json!({"name": "ana", "password": "not the password"})).await;
    assert_eq!((status, wrong["code"].as_str()), (401, Some("unauthorized")), "{wrong}");
    let ana = client.sign_in("ana").await;
    let vic = client.sign_in("vic").await;

    // The event stream, as the window gets it.
    let mut events = open_events(&server, &tls, &vic).await;

    // An operation with the window's own arguments: a dispatcher launches a campaign.
    let (status, agents) = client.op("list_agents", Some(&ana), json!({})).await;
    assert_eq!(status, 200, "{agents}");
    let agent = agents.as_array().unwrap().iter().find(|agent| agent["name"] == "Vendor quote").unwrap();
    let (_, contacts) = client.op("list_contacts", Some(&ana), Value::Null).await;
    let vendors: Vec<Value> = contacts
        .as_array()
        .unwrap()
        .iter()
        .filter(|contact| contact["fields"]["details"]["kind"] == "vendor" && !contact["phoneE164"].is_null())
        .map(|contact| contact["id"].clone())
        .take(2)
        .collect();
    assert_eq!(vendors.len(), 2, "{contacts}");
    let spec = json!({
        "name": "Team quotes",
        "kind": "vendor-quote",
        "agentId": agent["id"],
        "negotiationAgentId": null,
        "contacts": vendors,
        "concurrency": 2,
        "maxAttempts": 1,
        "retrySpacingMs": 1000,
        "ignoreCallingWindows": true,
        "budgetUsd": null,
        "request": {"item": "pallet wrap", "quantity": 40, "unit": "rolls", "targetPrice": null,
            "deliveryLocation": null, "neededBy": null, "notes": null, "freightEstimate": null, "vendorFreight": []},
    });
    let (status, viewed) = client.op("launch_campaign", Some(&vic), json!({ "spec": spec })).await;
    assert_eq!((status, viewed["code"].as_str()), (403, Some("forbidden")), "a viewer cannot launch: {viewed}");
    let (status, launched) = client.op("launch_campaign", Some(&ana), json!({ "spec": spec })).await;
    assert_eq!(status, 200, "{launched}");
    let campaign = launched["id"].as_i64().unwrap();

    // The viewer sees it, and its calls arrive on the event stream.
    let (status, campaigns) = client.op("list_campaigns", Some(&vic), json!({})).await;
    assert_eq!(status, 200);
    assert!(campaigns.as_array().unwrap().iter().any(|view| view["id"] == campaign), "{campaigns}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, events.next()).await.expect("no call event came").unwrap().unwrap();
        let Message::Text(text) = frame else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["event"]["type"] == "callUpdated" && frame["event"]["call"]["campaignId"] == campaign {
            break;
        }
    }

    // An export comes back as bytes: the server writes no file.
    let (status, export) = client.op("export_contacts", Some(&vic), json!({"path": "team.csv", "ids": []})).await;
    assert_eq!(status, 200, "{export}");
    let bytes: Vec<u8> = serde_json::from_value(export["bytes"].clone()).unwrap();
    assert!(String::from_utf8(bytes).unwrap().lines().count() > 2);
    assert!(!Path::new("team.csv").exists() && !profile.data.join("team.csv").exists());

    // The console's speakers are not the server's.
    let (status, speakers) = client.op("audio_devices", Some(&ana), json!({})).await;
    assert!(status == 422 && speakers["message"].as_str().unwrap().contains("not over a team server"), "{speakers}");

    // Keys: the viewer is told which are set, never a value.
    let (status, keys) = client.op("list_keys", Some(&vic), json!({})).await;
    assert_eq!(status, 200);
    assert!(keys.to_string().contains("vapi_api_key"), "{keys}");
    for operation in ["app_info", "listener_info", "list_calls"] {
        let (status, _) = client.op(operation, Some(&vic), json!({})).await;
        assert_eq!(status, 200, "{operation}");
    }
    // The server's facts, without where it keeps its files: no client's business.
    let (_, info) = client.op("app_info", Some(&ana), json!({})).await;
    assert!(info["paths"].is_null() && info["version"].is_string(), "{info}");
    let profile_path = profile.data.display().to_string();
    assert!(!client.bodies.iter().any(|body| body.contains(&profile_path)), "no server path reaches a console");

    // Missing, forged and expired tokens.
    let (status, missing) = client.op("list_calls", None, json!({})).await;
    assert_eq!((status, missing["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) = client.op("list_calls", Some(&"0".repeat(64)), json!({})).await;
    assert_eq!(status, 401, "a forged token");
    let expired = profile.database().execute("UPDATE team_sessions SET expires_at = 0", []).unwrap();
    assert_eq!(expired, 2);
    let (status, _) = client.op("list_calls", Some(&ana), json!({})).await;
    assert_eq!(status, 401, "an expired token");

    // Every call is audited: who, what, how it went.
    let audit = audit_rows(&profile);
    let has = |who: &str, operation: &str, outcome: &str| {
        audit.iter().any(|row| (row.0.as_str(), row.1.as_str(), row.2.as_str()) == (who, operation, outcome))
    };
    for (who, operation, outcome) in [
        ("ana", "session", "unauthorized"),
        ("ana", "session", "ok"),
        ("vic", "events", "ok"),
        ("vic", "launch_campaign", "forbidden"),
        ("ana", "launch_campaign", "ok"),
        ("vic", "export_contacts", "ok"),
        ("(no session)", "list_calls", "unauthorized"),
    ] {
        assert!(has(who, operation, outcome), "no audit row ({who}, {operation}, {outcome}) in {audit:?}");
    }
    assert!(!audit.iter().any(|row| row.0.contains(PASSWORD) || row.1.contains(PASSWORD)));

    let seen = client.bodies.join("\n");
    assert!(!seen.contains(VAPI_KEY), "no provider key reaches a console");
    let stored: String = profile
        .database()
        .query_row("SELECT group_concat(token_hash) FROM team_sessions", [], |row| row.get(0))
        .unwrap();
    assert!(!stored.contains(&ana) && !stored.contains(&vic), "tokens are kept only as hashes");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stream_closes_when_its_session_expires_or_is_revoked() {
    let profile = Profile::new();
    for name in ["ana", "ben"] {
        assert!(profile.add_user(name, "viewer", PASSWORD).status.success());
    }
    assert!(profile.add_user("dee", "dispatcher", PASSWORD).status.success());
    let server = Server::start(&profile);
    let tls = trusting(&profile.data.join("team-tls/cert.pem"));
    let mut client = Client::new(&server, Arc::clone(&tls));
    let (ana, ben) = (client.sign_in("ana").await, client.sign_in("ben").await);
    let mut ana_events = open_events(&server, &tls, &ana).await;
    let mut ben_events = open_events(&server, &tls, &ben).await;
    // Ana listens in on a call (slowed down: it stays on the line).
    let dee = client.sign_in("dee").await;
    let call = start_quote_call(&mut client, &dee).await;
    let mut ana_listening = open_socket(&server, &tls, &ana, &format!("/api/v1/listen/{call}")).await.unwrap();

    let db = profile.database();
    let expire =
        "UPDATE team_sessions SET expires_at = 0 WHERE user_id = (SELECT id FROM team_users WHERE name = 'ana')";
    assert_eq!(db.execute(expire, []).unwrap(), 1);
    let (code, reason) = closed(&mut ana_events).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("expired") && reason.contains("sign in again"), "{reason}");
    let (code, reason) = closed(&mut ana_listening).await;
    assert_eq!(code, 4401, "listening in ends with the session too: {reason}");

    // Revoked: its session row is gone.
    let revoke = "DELETE FROM team_sessions WHERE user_id = (SELECT id FROM team_users WHERE name = 'ben')";
    assert_eq!(db.execute(revoke, []).unwrap(), 1);
    assert_eq!(closed(&mut ben_events).await.0, 4401);

    let audit: i64 = db
        .query_row(
            "SELECT count(*) FROM audit_log WHERE operation = 'events closed' AND outcome = 'unauthorized'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(audit, 2, "each close is audited");
    let listening_closed = ("ana".to_owned(), "listen_to_call closed".to_owned(), "unauthorized".to_owned());
    assert!(audit_rows(&profile).contains(&listening_closed), "{:?}", audit_rows(&profile));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_plays_a_recording_and_listens_in_over_tls_and_each_is_audited() {
    let profile = Profile::new();
    assert!(profile.add_user("ana", "dispatcher", PASSWORD).status.success());
    assert!(profile.add_user("vic", "viewer", PASSWORD).status.success());
    // Four times real time: the call is on the line for a few seconds, with both voices.
    let server = Server::start_at(&profile, "4");
    let tls = trusting(&profile.data.join("team-tls/cert.pem"));
    let mut client = Client::new(&server, Arc::clone(&tls));
    let (ana, vic) = (client.sign_in("ana").await, client.sign_in("vic").await);
    let call = start_quote_call(&mut client, &ana).await;

    // Two consoles listen in on the call at once: each gets both parties' frames until its end.
    let listen = format!("/api/v1/listen/{call}");
    let sockets = [
        open_socket(&server, &tls, &vic, &listen).await.unwrap(),
        open_socket(&server, &tls, &ana, &listen).await.unwrap(),
    ];
    let heard = futures_util::future::join_all(sockets.into_iter().map(|mut socket| async move {
        let (mut parties, mut frames) = (std::collections::BTreeSet::new(), 0);
        while let Some(message) = socket.next().await {
            match message.unwrap() {
                Message::Binary(frame) => {
                    assert_eq!(frame.len(), 161, "a party's byte, then 20 ms of 8 kHz mu-law");
                    parties.insert(frame[0]);
                    frames += 1;
                }
                Message::Close(close) => {
                    return (parties, frames, close.map(|close| (u16::from(close.code), close.reason.to_string())));
                }
                _ => {}
            }
        }
        panic!("the listen-in socket ended without a close frame");
    }));
    let heard = tokio::time::timeout(Duration::from_secs(120), heard).await.expect("the call never ended");
    for (parties, frames, close) in heard {
        assert_eq!(parties.into_iter().collect::<Vec<_>>(), [0, 1], "both parties are heard");
        assert!(frames > 50, "a second of audio at least: {frames} frames");
        assert_eq!(close, Some((1000, "the call ended".to_owned())));
    }

    // Its recording, streamed whole: the server's file, byte for byte.
    let file = eventually_recorded(&profile, call).await;
    let fetched =
        client.http.get(format!("{}/api/v1/recordings/{call}", client.base)).bearer_auth(&vic).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], "audio/wav");
    assert_eq!(fetched.bytes().await.unwrap(), std::fs::read(profile.data.join("recordings").join(&file)).unwrap());

    // A call with no recording, a call no longer live, no token: each a clear refusal.
    let missing = client
        .http
        .get(format!("{}/api/v1/recordings/{}", client.base, call + 1))
        .bearer_auth(&vic)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(missing["message"], format!("call {} has no recording on the team server", call + 1));
    let Err(tokio_tungstenite::tungstenite::Error::Http(over)) = open_socket(&server, &tls, &vic, &listen).await else {
        panic!("an ended call is listened to");
    };
    assert_eq!(over.status(), 422);
    let over: Value = serde_json::from_slice(over.body().as_deref().unwrap()).unwrap();
    assert!(over["message"].as_str().unwrap().contains("only live calls"), "{over}");
    let anonymous = client.http.get(format!("{}/api/v1/recordings/{call}", client.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let audit = audit_rows(&profile);
    for (who, operation, outcome) in [
        ("vic", "listen_to_call", "ok"),
        ("ana", "listen_to_call", "ok"),
        ("vic", "play_recording", "ok"),
        ("vic", "play_recording", "not-found"),
        ("vic", "listen_to_call", "invalid-input"),
        ("(no session)", "play_recording", "unauthorized"),
    ] {
        let row = (who.to_owned(), operation.to_owned(), outcome.to_owned());
        assert!(audit.contains(&row), "no audit row {row:?} in {audit:?}");
    }
    // Not over the operations' route: the audio has its own.
    let (status, refused) = client.op("play_recording", Some(&vic), json!({"callId": call, "fromMs": 0})).await;
    assert!(status == 422 && refused["message"].as_str().unwrap().contains("route of its own"), "{refused}");
}

/// The file name of `call`'s recording, once the server has kept it.
async fn eventually_recorded(profile: &Profile, call: i64) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let query = "SELECT file FROM recordings WHERE call_id = ?1";
        if let Ok(file) = profile.database().query_row(query, [call], |row| row.get(0)) {
            return file;
        }
        assert!(Instant::now() < deadline, "call {call} was never recorded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A server on a fresh profile with `names` as viewers, and a client trusting it.
fn server_with_viewers(names: &[&str]) -> (Profile, Server, Client) {
    let profile = Profile::new();
    for name in names {
        assert!(profile.add_user(name, "viewer", PASSWORD).status.success());
    }
    let server = Server::start(&profile);
    let client = Client::new(&server, trusting(&profile.data.join("team-tls/cert.pem")));
    (profile, server, client)
}

fn wrong_password(name: &str) -> Value {
    json!({"name": name, "password": "not the password"})
}

/// How many sign-ins the audit log has refused as too many.
fn refusals_audited(profile: &Profile) -> i64 {
    let query = "SELECT count(*) FROM audit_log WHERE operation = 'session' AND outcome = 'too-many-attempts'";
    profile.database().query_row(query, [], |row| row.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_of_an_account_are_limited_and_a_success_is_not_counted() {
    let (profile, _server, mut client) = server_with_viewers(&["ana", "ben"]);
    for _ in 0..4 {
        assert_eq!(client.post("/api/v1/session", None, wrong_password("ana")).await.0, 401);
    }
    client.sign_in("ana").await;
    assert_eq!(client.post("/api/v1/session", None, wrong_password("ana")).await.0, 401, "a success is not counted");
    let (status, refused) = client.post("/api/v1/session", None, wrong_password("ana")).await;
    assert_eq!((status, refused["code"].as_str()), (429, Some("too-many-attempts")), "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("too many failed sign-ins"), "{refused}");
    let wait: u64 = client.last_retry_after.clone().expect("a Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, _) = client.post("/api/v1/session", None, json!({"name": "ana", "password": PASSWORD})).await;
    assert_eq!(status, 429, "a locked account is refused even the right password");
    client.sign_in("ben").await;
    assert_eq!(refusals_audited(&profile), 2, "each refusal is audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_from_an_address_are_limited_across_accounts() {
    let (profile, _server, mut client) = server_with_viewers(&["ben"]);
    // Twenty failures at once, then one more every 10 s: each sign-in checks a password hash
    // (an unknown name a decoy's), so on a slow machine the address may earn a failure back.
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    while statuses.last() != Some(&429) && statuses.len() < 60 {
        let n = statuses.len();
        statuses.push(client.post("/api/v1/session", None, wrong_password(&format!("guess{n}"))).await.0);
    }
    let earned = usize::try_from(started.elapsed().as_secs() / 10 + 1).unwrap();
    let failures = statuses.iter().filter(|status| **status == 401).count();
    assert!(statuses.last() == Some(&429) && (20..=20 + earned).contains(&failures), "{statuses:?}");
    let wait: u64 = client.last_retry_after.clone().expect("a Retry-After").parse().unwrap();
    let (status, _) = client.post("/api/v1/session", None, json!({"name": "ben", "password": PASSWORD})).await;
    // Refused while the address is locked, whatever the account (unless the lock ran out first).
    assert!(status == 429 || wait <= 1, "ben's right password got {status} {wait} s into the lock");
    let refusals = if status == 429 { 2 } else { 1 };
    assert!(refusals_audited(&profile) >= refusals, "the lock and each refusal in it are audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_take_over_rings_the_phone_of_the_dispatcher_who_takes_it_and_the_theme_is_not_the_teams() {
    let profile = Profile::new();
    for name in ["ana", "ben"] {
        assert!(profile.add_user(name, "dispatcher", PASSWORD).status.success());
    }
    let server = Server::start(&profile);
    let mut client = Client::new(&server, trusting(&profile.data.join("team-tls/cert.pem")));
    let (ana, ben) = (client.sign_in("ana").await, client.sign_in("ben").await);
    let team_phone = "+13125550199";
    let set_team_phone = "INSERT INTO settings (key, value) VALUES ('dispatcher_phone', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value";
    profile.database().execute(set_team_phone, [team_phone]).unwrap();

    // Each sets the phone in Settings as the window does; ana's is hers, ben keeps the team's.
    let (status, saved) = client.op("set_dispatcher_phone", Some(&ana), json!({"phone": "+1 312 555 0101"})).await;
    assert_eq!((status, saved.as_str()), (200, Some("+13125550101")), "{saved}");
    let (_, bens) = client.op("get_dispatcher_phone", Some(&ben), json!({})).await;
    assert_eq!(bens, team_phone, "without a phone of his own, ben's is the team's");
    let (_, anas) = client.op("get_dispatcher_phone", Some(&ana), json!({})).await;
    assert_eq!(anas, "+13125550101");

    // A call on the line, taken over by each: each take-over rings its taker's phone.
    let call = start_quote_call(&mut client, &ana).await;
    for (token, phone) in [(&ana, "+13125550101"), (&ben, team_phone)] {
        let take_over = json!({"callId": call, "action": "take-over", "text": ""});
        let (status, action) = client.op("control_call", Some(token), take_over).await;
        assert_eq!((status, action["text"].as_str()), (200, Some(phone)), "{action}");
    }

    // The theme is each console's own: the server keeps none for the team.
    let (status, refused) = client.op("set_theme", Some(&ana), json!({"theme": "dark"})).await;
    assert!(status == 422 && refused["message"].as_str().unwrap().contains("console's own"), "{refused}");
    assert_eq!(client.op("get_theme", Some(&ben), json!({})).await.0, 422);
}
