//! A node crashed at the commit of a recording's upload to the shared Postgres database: no
//! chunk of it is served, its file stays whole on the node's disk, and a node restarted on that
//! directory puts the same bytes in the database on its heartbeat, beating on while a slow
//! upload runs.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::CallId;
use switchboard_engine::nodes::NodeSettings;
use switchboard_engine::{Engine, EngineSettings};
use switchboard_fakes::fixtures::bolts_request;
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::{RecordingPlace, Store};

use crate::crash_points::{arm_failpoints, child_of, run_child};

const TEST: &str = "a_node_crashed_at_a_recordings_upload_commit_leaves_its_file_for_the_next_node";
/// The file in the test's directory naming the database (the directory is the child's "db").
const URL_FILE: &str = "postgres-url";
/// The exit code of a child crashed by a failpoint (`crash_points`).
const CRASHED: i32 = 86;

/// A node of the database at `url` keeping recordings in `dir`, on the simulator (recording its
/// calls), registered.
async fn node(url: &str, dir: &Path, settings: NodeSettings) -> Arc<Engine> {
    let store = Arc::new(Store::open_postgres(url).unwrap());
    let recordings_dir = Some(dir.join("recordings"));
    let mut engine = Engine::new(store, EngineSettings { recordings_dir, ..EngineSettings::default() });
    let sim = SimSettings { time_scale: 500.0, cast: Cast::Cooperative, record: true, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(sim)));
    engine.register_node(settings).await.unwrap();
    Arc::new(engine)
}

/// Waits until `call`'s recording is in the database; gives up after `within`.
async fn in_database(store: &Store, call: CallId, within: Duration) -> Option<u64> {
    let give_up = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < give_up {
        if let Some(RecordingPlace::Database { chunks }) = store.stored_recording(call).unwrap().map(|r| r.place) {
            return Some(chunks);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// The child: a node places one simulated call and waits for its recording to be uploaded (the
/// failpoint crashes it first).
async fn crashing_node(dir: &Path) {
    let url = std::fs::read_to_string(dir.join(URL_FILE)).unwrap();
    let engine = node(&url, dir, NodeSettings::default()).await;
    let store = engine.store();
    super::seed(store);
    let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Pacific Bolt & Nut").unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let call = engine.start_quote_call(contact.id, agent.id, &bolts_request(10_000)).await.unwrap();
    assert!(in_database(store, call.id, Duration::from_secs(30)).await.is_some(), "never uploaded");
}

#[test]
fn a_node_crashed_at_a_recordings_upload_commit_leaves_its_file_for_the_next_node() {
    if let Some(dir) = child_of(module_path!(), TEST) {
        let _failpoints = arm_failpoints();
        tokio::runtime::Runtime::new().unwrap().block_on(crashing_node(&dir));
        return;
    }
    let url = switchboard_store::testing::postgres_url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(URL_FILE), &url).unwrap();
    let crashed = run_child(module_path!(), TEST, dir.path(), "recording-upload-before-commit=panic(crash)");
    assert_eq!(crashed.status.code(), Some(CRASHED), "{}", String::from_utf8_lossy(&crashed.stderr));

    let store = Store::open_postgres(&url).unwrap();
    let call = store.list_calls(10).unwrap()[0].id;
    let stored = store.stored_recording(call).unwrap().expect("the recording's row committed before the upload");
    assert!(matches!(stored.place, RecordingPlace::File { held_by: Some(_) }), "{stored:?}");
    assert_eq!(store.recording_chunk(call, 0).unwrap(), None, "no chunk of a half upload");
    let file = dir.path().join("recordings").join(&stored.info.file);
    let bytes = std::fs::read(&file).expect("the file is kept when the upload fails");
    assert_eq!(bytes.len() as u64, stored.info.bytes);

    // A node restarted on the directory (a new node: the crashed one is found dead) uploads it,
    // slowly: the upload takes longer than the node may go without a beat, and must not fence it.
    // (Only this test reaches this failpoint in this process; its child crashed at it above.)
    switchboard_store::fail::cfg("recording-upload-before-commit", "sleep(6000)").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let settings = NodeSettings { heartbeat: Duration::from_millis(500), expiry: Duration::from_millis(4_000) };
        let restarted = node(&url, dir.path(), settings).await;
        let (fenced, watching) = tokio::sync::watch::channel(false);
        let _watch = restarted.spawn_node_watch(settings, fenced);
        let chunks = in_database(&store, call, Duration::from_secs(40)).await.expect("the next node uploads it");
        switchboard_store::fail::remove("recording-upload-before-commit");
        assert!(!*watching.borrow(), "the node fenced itself while its housework uploaded a recording");
        let uploaded: Vec<u8> =
            (0..chunks).flat_map(|seq| store.recording_chunk(call, seq).unwrap().unwrap()).collect();
        assert!(uploaded == bytes, "the database holds other bytes than the file");
        assert!(!file.exists(), "the file goes once the database holds it");
    });
}
