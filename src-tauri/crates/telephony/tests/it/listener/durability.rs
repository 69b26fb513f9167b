//! A listener killed (SIGKILL) right after it answered 200 loses nothing: the same database,
//! replayed at the next start, applies the webhook exactly once. The listener runs in a child
//! process: this test binary, re-run with `--exact --ignored` on [`listener_child`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::CallState;
use switchboard_engine::{EngineEvent, EventBus};
use switchboard_store::{InboxCounts, Store};
use switchboard_telephony::listener::{InboxPass, ListenerSettings, ListenerState, replay_inbox, serve};

use super::{CALL_SID, PUBLIC, call_with_provider_id, http_client, secrets, twilio_request, twilio_status};

/// The database the child listens over; its absence means this is not the child.
const CHILD_DATABASE: &str = "SWITCHBOARD_LISTENER_CHILD_DATABASE";
/// Where the child writes the port it bound.
const CHILD_PORT_FILE: &str = "SWITCHBOARD_LISTENER_CHILD_PORT_FILE";

/// The child: a listener with no inbox processing, serving until it is killed.
#[tokio::test]
#[ignore = "the listener child of a_webhook_acknowledged_before_a_kill_is_applied_once_after_restart"]
async fn listener_child() {
    let (Some(database), Some(port_file)) = (std::env::var_os(CHILD_DATABASE), std::env::var_os(CHILD_PORT_FILE))
    else {
        return;
    };
    let store = Arc::new(Store::open(Path::new(&database)).unwrap());
    let state = Arc::new(ListenerState::new(store, EventBus::new(16), secrets(), ListenerSettings::new(PUBLIC)));
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let written = PathBuf::from(&port_file).with_extension("partial");
    std::fs::write(&written, bound.port().to_string()).unwrap();
    std::fs::rename(&written, &port_file).unwrap();
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_acknowledged_before_a_kill_is_applied_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("switchboard.sqlite3");
    let call = {
        let store = Store::open(&database).unwrap();
        crate::seed(&store);
        call_with_provider_id(&store, CALL_SID)
    };
    let port_file = dir.path().join("port");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["listener::durability::listener_child", "--exact", "--ignored", "--test-threads=1"])
        .env(CHILD_DATABASE, &database)
        .env(CHILD_PORT_FILE, &port_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let port = loop {
        if let Ok(port) = std::fs::read_to_string(&port_file) {
            break port;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the listener child never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let request = twilio_request("/twilio/status", &twilio_status(CALL_SID, "in-progress", 2));
    let response = http_client()
        .post(format!("http://127.0.0.1:{port}/twilio/status"))
        .headers(request.headers().clone())
        .body(twilio_status(CALL_SID, "in-progress", 2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Arc::new(Store::open(&database).unwrap());
    assert_eq!(store.inbox_counts().unwrap(), InboxCounts { total: 1, pending: 1, failed: 0 });
    assert_eq!(store.call(call.id).unwrap().unwrap().state, CallState::Dialing, "the child applied nothing");
    let bus = EventBus::new(16);
    let mut events = bus.subscribe();
    let state = Arc::new(ListenerState::new(Arc::clone(&store), bus, secrets(), ListenerSettings::new(PUBLIC)));
    assert_eq!(replay_inbox(&state).await.unwrap(), InboxPass { processed: 1, failed: 0, waiting: 0, elsewhere: 0 });
    assert_eq!(replay_inbox(&state).await.unwrap(), InboxPass::default());
    assert_eq!(store.call(call.id).unwrap().unwrap().state, CallState::InProgress);
    let mut changes = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::CallUpdated { call } = &*event {
            changes.push(call.state);
        }
    }
    assert_eq!(changes, [CallState::InProgress], "applied exactly once");
}
