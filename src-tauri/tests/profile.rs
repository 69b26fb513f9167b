//! One engine per profile, with the real `switchboard` binary: a second process on a profile in
//! use is refused by name and pid and touches nothing; nothing is dialled twice; a campaign run
//! headless is paused, resumed and canceled from another shell; a stopped run's open calls are
//! closed by the next process to start, and `campaign resume` runs it to its end.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchboard_core::{ActionStatus, CallState};
use switchboard_engine::{CLOSED_WHILE_LIVE, ENDED_BY_DISPATCHER};
use switchboard_store::Store;

fn switchboard(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.env("SWITCHBOARD_DATA_DIR", data).env("RUST_LOG", "warn");
    command
}

const VENDORS: &str = "name,phone\n\
    Acme Fasteners,(312) 555-0143\n\
    Great Lakes,+1 216 555 0187\n\
    Pacific Bolt,503.555.0119\n\
    Lakeside Nuts,(414) 555-0160\n";

/// A profile folder and a vendor file beside it.
struct Profile {
    _dir: tempfile::TempDir,
    data: PathBuf,
    vendors: PathBuf,
}

impl Profile {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vendors = dir.path().join("vendors.csv");
        std::fs::write(&vendors, VENDORS).unwrap();
        let data = dir.path().join("profile");
        Self { _dir: dir, data, vendors }
    }

    /// `campaign run` over the vendors, `concurrency` calls at once, played `time_scale` times
    /// faster than real time, every callee answering.
    fn campaign_run(&self, time_scale: u32, concurrency: u32) -> Command {
        let mut command = switchboard(&self.data);
        command
            .args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--attempts", "1"])
            .args(["--cast", "cooperative", "--ignore-windows", "--json"])
            .args(["--item", "M8 bolts", "--quantity", "10000", "--target-price", "0.42"])
            .args(["--time-scale", &time_scale.to_string(), "--concurrency", &concurrency.to_string()])
            .arg("--contacts")
            .arg(&self.vendors);
        command
    }

    fn start(&self, mut command: Command) -> Child {
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        switchboard(&self.data).args(args).output().unwrap()
    }

    /// What the lock file says of its holder.
    fn holder(&self) -> String {
        std::fs::read_to_string(self.data.join("switchboard.lock")).unwrap_or_default()
    }

    fn store(&self) -> Store {
        Store::open(&self.data.join("switchboard.sqlite3")).unwrap()
    }

    /// Waits (60 s at most) until the `campaign run` with `pid` holds the profile, having
    /// launched its campaign (so the database is made).
    fn until_running(&self, pid: u32) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.holder() != format!("{pid} campaign run #1\n") {
            assert!(Instant::now() < deadline, "the run never held the profile: {:?}", self.holder());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (60 s at most) until `check` holds of the store.
    fn until(&self, what: &str, check: impl Fn(&Store) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if check(&self.store()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("never: {what}");
    }
}

/// Waits (60 s at most) for `child` to end; its output.
fn finish(child: Child) -> Output {
    let pid = child.id();
    let (done, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output().unwrap()));
    output.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|_| panic!("pid {pid} never ended"))
}

fn calls_answered(store: &Store, campaign: i64) -> usize {
    store.calls_in_campaign(campaign).unwrap().iter().filter(|c| c.state == CallState::InProgress).count()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_second_process_on_a_profile_in_use_is_refused_by_name_and_pid_and_nothing_is_dialled_twice() {
    let profile = Profile::new();
    let run = profile.start(profile.campaign_run(20, 2));
    let pid = run.id();
    profile.until_running(pid);
    profile.until("a call is on the line", |store| calls_answered(store, 1) > 0);

    let refused =
        format!("switchboard: Switchboard is already running with this profile, pid {pid} (campaign run #1)\n");
    let second = profile.campaign_run(500, 4).output().unwrap();
    assert_eq!((second.status.code(), stderr(&second)), (Some(2), refused.clone()));
    let call = profile.run(&["call", "--phone", "+13125550177", "--action", "Confirm Thursday", "--time-scale", "500"]);
    assert_eq!((call.status.code(), stderr(&call)), (Some(2), refused.clone()));
    let listen = profile.run(&["listen", "--port", "0"]);
    assert_eq!((listen.status.code(), stderr(&listen)), (Some(2), refused));
    // Reading is not refused.
    assert!(profile.run(&["campaign", "list"]).status.success());

    let done = finish(run);
    assert!(done.status.success(), "{}", stderr(&done));
    let store = profile.store();
    let calls = store.calls_in_campaign(1).unwrap();
    assert!(calls.iter().all(|c| c.state == CallState::Completed), "none closed as lost by the others: {calls:?}");
    let mut per_target: HashMap<(i64, u8), usize> = HashMap::new();
    for call in &calls {
        *per_target.entry((call.contact_id.0, call.round.unwrap())).or_default() += 1;
    }
    assert!(per_target.values().all(|n| *n == 1), "one call per vendor and round: {per_target:?}");
    assert_eq!(store.campaign_targets(1, 1).unwrap().len(), 4);
    assert_eq!(store.list_campaigns().unwrap().len(), 1, "the refused run launched nothing");
}

#[test]
fn a_headless_campaign_is_paused_resumed_and_canceled_from_another_shell() {
    let profile = Profile::new();
    let run = profile.start(profile.campaign_run(3, 1));
    let pid = run.id();
    profile.until_running(pid);
    profile.until("a call is on the line", |store| calls_answered(store, 1) == 1);

    let paused = profile.run(&["campaign", "pause", "1"]);
    assert_eq!(stdout(&paused), "paused campaign 1: no new call starts; calls on the line finish\n");
    assert_eq!(profile.store().campaign(1).unwrap().unwrap().status, "paused");
    let resumed = profile.run(&["campaign", "resume", "1"]);
    assert_eq!(stdout(&resumed), format!("resumed campaign 1; pid {pid} (campaign run #1) runs it\n"));
    assert_eq!(profile.store().campaign(1).unwrap().unwrap().status, "running");

    let canceled = profile.run(&["campaign", "cancel", "1", "--end-calls"]);
    assert_eq!(
        stdout(&canceled),
        format!("canceled campaign 1; pid {pid} (campaign run #1) was asked to end its calls on the line\n")
    );
    let ended = finish(run);
    assert_eq!(
        (ended.status.code(), stderr(&ended).lines().last()),
        (Some(2), Some("switchboard: campaign 1 was canceled"))
    );

    let store = profile.store();
    let calls = store.calls_in_campaign(1).unwrap();
    assert_eq!(calls.len(), 1, "no call started after the cancel: {calls:?}");
    assert_eq!((calls[0].state, calls[0].end_reason.as_deref()), (CallState::Canceled, Some(ENDED_BY_DISPATCHER)));
    let targets = store.campaign_targets(1, 1).unwrap();
    assert!(targets.iter().all(|t| t.status == "canceled"), "every target says canceled: {targets:?}");
    let again = profile.run(&["campaign", "cancel", "1"]);
    assert_eq!(
        (again.status.code(), stderr(&again)),
        (Some(2), "switchboard: campaign 1 has already finished (canceled)\n".into())
    );
}

#[test]
fn a_live_call_is_acted_on_from_another_shell_through_the_process_running_it() {
    let profile = Profile::new();
    let run = profile.start(profile.campaign_run(1, 1));
    let pid = run.id();
    profile.until_running(pid);
    profile.until("a call is on the line", |store| calls_answered(store, 1) == 1);
    let call = profile.store().calls_in_campaign(1).unwrap()[0].id;
    let id = call.to_string();

    let take_over = profile.run(&["call-control", &id, "take-over"]);
    assert_eq!(
        (take_over.status.code(), stderr(&take_over)),
        (Some(2), format!("switchboard: {}\n", switchboard_engine::NO_DISPATCHER_PHONE))
    );
    let say = profile.run(&["call-control", &id, "say", "One moment please."]);
    assert_eq!(
        (say.status.code(), stderr(&say)),
        (
            Some(2),
            format!(
                "switchboard: call {id}: could not do it (had the agent say: One moment please.): \
                 the simulator offers no way to have the agent say a typed line\n"
            )
        )
    );
    let end = profile.run(&["call-control", &id, "end"]);
    assert_eq!(stdout(&end), format!("call {id}: ended the call (pid {pid} (campaign run #1) runs the call)\n"));
    let call = profile.store().call(call).unwrap().unwrap();
    assert_eq!((call.state, call.end_reason.as_deref()), (CallState::Canceled, Some(ENDED_BY_DISPATCHER)));
    let kept: Vec<_> = profile.store().call_actions(call.id).unwrap().into_iter().map(|a| a.status).collect();
    assert_eq!(kept, [ActionStatus::Refused, ActionStatus::Done], "each request is kept with its outcome");
    let again = profile.run(&["call-control", &id, "end"]);
    assert_eq!(stderr(&again), format!("switchboard: call {id} is over (canceled)\n"));
    profile.run(&["campaign", "cancel", "1"]);
    finish(run);
}

#[test]
fn a_stopped_run_is_closed_by_the_next_process_and_resumed_to_its_end() {
    let profile = Profile::new();
    let mut run = profile.start(profile.campaign_run(3, 2));
    profile.until_running(run.id());
    profile.until("two calls are on the line", |store| calls_answered(store, 1) == 2);
    run.kill().unwrap();
    run.wait().unwrap();
    assert_eq!(profile.store().campaign(1).unwrap().unwrap().status, "running", "left running by the kill");

    // Any process taking the profile first closes the calls the stopped one left open, and
    // resumes nothing it does not own.
    let call = profile.run(&["call", "--phone", "+13125550177", "--action", "Confirm Thursday", "--time-scale", "500"]);
    assert!(call.status.success(), "{}", stderr(&call));
    let store = profile.store();
    let cut_off = store.calls_in_campaign(1).unwrap();
    assert_eq!(cut_off.len(), 2, "the call placed no campaign call");
    for call in &cut_off {
        assert_eq!((call.state, call.end_reason.as_deref()), (CallState::Lost, Some(CLOSED_WHILE_LIVE)));
    }
    assert!(store.campaign_targets(1, 1).unwrap().iter().all(|t| t.status == "pending" && t.attempts == 0));

    let resumed = profile.run(&["campaign", "resume", "1", "--time-scale", "500", "--cast", "cooperative", "--json"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let summary: serde_json::Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(summary["quotesReceived"].as_u64(), Some(4));
    let store = profile.store();
    for target in store.campaign_targets(1, 1).unwrap() {
        // One attempt allowed: the cut-off call did not use it up.
        assert_eq!((target.status.as_str(), target.attempts), ("done", 1), "{target:?}");
        let call = store.call(target.call_id.unwrap()).unwrap().unwrap();
        assert_eq!(call.state, CallState::Completed);
    }
}
