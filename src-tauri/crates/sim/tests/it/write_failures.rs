//! Store writes that fail: a full disk (a failpoint returning SQLite's "disk full", and a real
//! full tmpfs where this machine lets the test mount one) and a write lock another connection
//! holds past the busy timeout. Campaigns pause while writes fail and the engine says why,
//! naming the database; they go on by themselves, and no line, call or offer is lost. A campaign
//! whose round cannot advance for a reason of its own stops in `error` with that reason.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::CallState;
use switchboard_engine::{Engine, EngineEvent};
use switchboard_store::Store;
use tokio::sync::broadcast;

use super::crash_points::{
    arm_failpoints, assert_child_passed, child_of, crash_campaign, run_child, sim_engine, wait_completed,
};

/// The failpoints on every write a running campaign makes while its calls talk and end.
const CALL_WRITES: &[&str] =
    &["call-state-before-commit", "call-progress-before-commit", "call-end-before-commit", "write-probe"];

/// How long writes fail in these tests.
const OUTAGE: Duration = Duration::from_secs(2);

/// Waits for `events` to publish what `pick` picks (60 s at most).
async fn next_event<T>(
    events: &mut broadcast::Receiver<Arc<EngineEvent>>,
    mut pick: impl FnMut(&EngineEvent) -> Option<T>,
) -> T {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv()).await.expect("the event came");
        match event {
            Ok(event) => {
                if let Some(picked) = pick(&event) {
                    return picked;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(err) => panic!("{err}"),
        }
    }
}

/// Launches the crash-points campaign on `engine` and waits until a call has begun talking.
async fn launch_and_wait_for_talk(engine: &Arc<Engine>, events: &mut broadcast::Receiver<Arc<EngineEvent>>) -> i64 {
    let id = engine.launch_campaign(crash_campaign(engine.store())).await.unwrap();
    next_event(events, |event| matches!(event, EngineEvent::TranscriptLine { .. }).then_some(())).await;
    id
}

/// Lives through an outage that `outage` brings about (and ends), then checks that the engine
/// said why naming the database with `cause`, that no call was placed while writes failed, that
/// it recovered by itself, and that the campaign finished with nothing lost.
async fn run_through_outage(store: Arc<Store>, cause: &str, outage: impl AsyncFnOnce()) {
    let engine = sim_engine(&store);
    let mut events = engine.bus().subscribe();
    let id = launch_and_wait_for_talk(&engine, &mut events).await;
    let watcher = {
        let mut events = engine.bus().subscribe();
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let message = next_event(&mut events, |event| match event {
                EngineEvent::StoreWritesFailing { message } => Some(message.clone()),
                _ => None,
            })
            .await;
            // Targets claimed by now were claimed before the failure was noted (a claim and
            // this read take the same lock); their calls may still be placed.
            let claimed: Vec<_> = store
                .campaign_targets(id, 1)
                .unwrap()
                .into_iter()
                .filter(|target| target.status != "pending")
                .map(|target| target.contact_id)
                .collect();
            let mut placed_while_failing = 0;
            next_event(&mut events, |event| match event {
                EngineEvent::CallUpdated { call } if call.state == CallState::Queued => {
                    placed_while_failing += usize::from(!claimed.contains(&call.contact_id));
                    None
                }
                EngineEvent::StoreWritesRecovered => Some(()),
                _ => None,
            })
            .await;
            (message, placed_while_failing)
        })
    };
    outage().await;
    let (message, placed_while_failing) =
        tokio::time::timeout(Duration::from_secs(60), watcher).await.unwrap().unwrap();
    let expected = format!("cannot write to {}: {cause}", store.path().display());
    assert_eq!(message, expected);
    assert_eq!(placed_while_failing, 0, "the campaign started no call while writes failed");
    // A write that failed just before the outage ended may say so after another write worked;
    // its own retry then clears it again.
    let settled = tokio::time::timeout(Duration::from_secs(10), async {
        while engine.store_writes().failing().is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    assert!(settled.await.is_ok(), "writes still fail after the outage: {:?}", engine.store_writes().failing());
    wait_completed(&store, id, Duration::from_secs(60)).await;
    assert_nothing_lost(&store, id);
}

/// Every call ended with a reason; every completed call has its whole conversation (greeting
/// and reply, a question and answer per field, goodbyes) and its offer.
fn assert_nothing_lost(store: &Store, id: i64) {
    switchboard_fakes::campaign_checks::assert_campaign_whole(store, "after the outage");
    let calls = store.calls_in_campaign(id).unwrap();
    assert!(calls.iter().all(|c| c.state == CallState::Completed), "the cooperative cast completes every call");
    for call in &calls {
        let agent = store.agent(call.agent_id).unwrap().unwrap();
        let lines = store.transcript(call.id).unwrap();
        assert_eq!(lines.len(), 2 + 2 * agent.config.data_fields.len() + 2, "call {} lost lines", call.id);
        assert!(lines.iter().enumerate().all(|(i, line)| line.seq as usize == i), "call {} has a gap", call.id);
        assert!(store.offer(call.id).unwrap().is_some(), "call {} lost its offer", call.id);
    }
}

#[test]
fn a_disk_full_while_calls_talk_pauses_the_campaign_and_loses_nothing() {
    let test = "a_disk_full_while_calls_talk_pauses_the_campaign_and_loses_nothing";
    if let Some(db) = child_of(module_path!(), test) {
        let _failpoints = arm_failpoints();
        let store = Arc::new(Store::open(&db).unwrap());
        tokio::runtime::Runtime::new().unwrap().block_on(run_through_outage(store, "disk full", async || {
            for point in CALL_WRITES {
                switchboard_store::fail::cfg(*point, "return(full)").unwrap();
            }
            tokio::time::sleep(OUTAGE).await;
            for point in CALL_WRITES {
                switchboard_store::fail::remove(*point);
            }
        }));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let child = run_child(module_path!(), test, &dir.path().join("switchboard.db"), "");
    assert_child_passed(&child, test);
}

#[test]
fn a_call_whose_first_state_write_fails_is_still_dialled_and_ended() {
    let test = "a_call_whose_first_state_write_fails_is_still_dialled_and_ended";
    if let Some(db) = child_of(module_path!(), test) {
        let _failpoints = arm_failpoints();
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let store = Arc::new(Store::open(&db).unwrap());
            let engine = sim_engine(&store);
            let id = engine.launch_campaign(crash_campaign(&store)).await.unwrap();
            // The first call's "dialing" failed once, right after the call was stored: it is
            // written again rather than leaving the call queued and the campaign waiting.
            wait_completed(&store, id, Duration::from_secs(60)).await;
            assert_nothing_lost(&store, id);
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let child =
        run_child(module_path!(), test, &dir.path().join("switchboard.db"), "call-state-before-commit=1*return(full)");
    assert_child_passed(&child, test);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_past_the_busy_timeout_pauses_the_campaign_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    let store = Arc::new(Store::open(&path).unwrap());
    run_through_outage(store, "the database is locked by another program", async || {
        // Past the store's 5 s busy timeout, so writes fail rather than wait it out.
        let held = hold_write_lock(&path, Duration::from_millis(6_500));
        tokio::task::spawn_blocking(move || held.join().unwrap()).await.unwrap();
    })
    .await;
}

/// Holds the database's write lock from a second connection for `hold`, on a thread.
fn hold_write_lock(path: &Path, hold: Duration) -> std::thread::JoinHandle<()> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(hold);
        conn.execute_batch("COMMIT").unwrap();
    })
}

/// A small tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts one of `size` at `dir`, or says why it cannot be.
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|err| format!("cannot run mount: {err}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` up, with one file; returns it.
fn fill_up(dir: &Path) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    while file.write_all(&block).and_then(|()| file.flush()).is_ok() {}
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_really_full_disk_pauses_the_campaign_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tmpfs = match Tmpfs::mount(dir.path(), "8m") {
        Ok(tmpfs) => tmpfs,
        Err(reason) => {
            eprintln!("skipped: this machine does not let the test mount a tmpfs ({reason})");
            return;
        }
    };
    let store = Arc::new(Store::open(&tmpfs.0.join("switchboard.db")).unwrap());
    let mount = tmpfs.0.clone();
    run_through_outage(store, "disk full", async move || {
        let filler = fill_up(&mount);
        tokio::time::sleep(OUTAGE).await;
        std::fs::remove_file(filler).unwrap();
    })
    .await;
}

#[test]
fn a_campaign_whose_round_cannot_advance_stops_in_error_with_the_reason() {
    let test = "a_campaign_whose_round_cannot_advance_stops_in_error_with_the_reason";
    if let Some(db) = child_of(module_path!(), test) {
        let _failpoints = arm_failpoints();
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let store = Arc::new(Store::open(&db).unwrap());
            let engine = sim_engine(&store);
            let mut events = engine.bus().subscribe();
            let id = engine.launch_campaign(crash_campaign(&store)).await.unwrap();
            let status = next_event(&mut events, |event| match event {
                EngineEvent::CampaignUpdated { campaign_id, status, .. }
                    if *campaign_id == id && status != "running" =>
                {
                    Some(status.clone())
                }
                _ => None,
            })
            .await;
            assert_eq!(status, "error");
            let campaign = store.campaign(id).unwrap().unwrap();
            assert_eq!((campaign.status.as_str(), campaign.round), ("error", 1));
            let reason = campaign.status_reason.unwrap();
            assert!(reason.contains("constraint"), "{reason}");
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let child = run_child(
        module_path!(),
        test,
        &dir.path().join("switchboard.db"),
        "campaign-advance-before-commit=return(constraint)",
    );
    assert_child_passed(&child, test);
}
