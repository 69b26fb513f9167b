//! Crash points as tests: a quote campaign (an import, an inbox replay) whose process is
//! crashed at each commit boundary in turn, then restarted on the same SQLite file. The crash is a `fail`
//! failpoint that panics in a child process of this test binary, whose panic hook exits on the
//! spot (no destructor, no later write), as a kill would. After the restart the run must hold:
//! every call terminal with a reason, attempts within the limit, at most one completed call and
//! one offer per vendor and round, round 2 exactly the vendors above round 1's best price, and
//! the summary equal to the offers; an import writes each contact once; the inbox applies
//! every accepted webhook.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::contacts::{ImportOptions, RowOutcome, import_contacts};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_fakes::campaign_checks::assert_campaign_whole;
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

/// Names the test whose child role a process runs (set only on children).
pub const CHILD: &str = "SWITCHBOARD_TEST_CHILD";
/// The database a child works on.
pub const DB: &str = "SWITCHBOARD_TEST_DB";
/// The exit code of a child crashed by a failpoint.
const CRASHED: i32 = 86;
/// The message a crashing failpoint panics with (`panic(crash)`).
const CRASH: &str = "crash";
/// Attempts per vendor and round: room for a call lost to the crash to be tried again.
const MAX_ATTEMPTS: u32 = 3;
const VENDORS: usize = 8;

/// The failpoints of a campaign's commit boundaries, each with the `fail` actions that crash the
/// process at it (`N*off->` lets N passes through first, so the crash falls mid-run).
const CAMPAIGN_POINTS: &[(&str, &str)] = &[
    ("campaign-target-reserved", "2*off->panic(crash)"),
    ("campaign-call-placed", "3*off->panic(crash)"),
    ("call-state-before-commit", "4*off->panic(crash)"),
    ("call-progress-before-commit", "9*off->panic(crash)"),
    ("call-end-before-commit", "3*off->panic(crash)"),
    ("call-end-after-commit", "4*off->panic(crash)"),
    ("campaign-advance-before-commit", "panic(crash)"),
    ("campaign-advance-after-commit", "panic(crash)"),
    ("campaign-complete-before-commit", "panic(crash)"),
    ("campaign-advance-after-commit", "1*off->panic(crash)"),
];

/// The failpoints of an import's commit boundaries.
const IMPORT_POINTS: &[(&str, &str)] = &[
    ("import-row", "3*off->panic(crash)"),
    ("import-before-commit", "panic(crash)"),
    ("import-after-commit", "panic(crash)"),
];

/// The path of test function `test` of module `module` (its `module_path!()`) in this test
/// binary, as `--exact` wants it.
fn test_path(module: &str, test: &str) -> String {
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{module}::{test}")
}

/// Runs the child role of `test` (a function of `module`) in a new process of this test
/// binary, on `db`, with `failpoints` (the `fail` crate's `FAILPOINTS` syntax: `name=actions;…`).
pub fn run_child(module: &str, test: &str, db: &Path, failpoints: &str) -> Output {
    let path = test_path(module, test);
    Command::new(std::env::current_exe().unwrap())
        .args([path.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, &path)
        .env(DB, db)
        .env("FAILPOINTS", failpoints)
        .output()
        .unwrap()
}

/// The database this process works on as the child of `test` (a function of `module`), if it
/// is one.
pub fn child_of(module: &str, test: &str) -> Option<std::path::PathBuf> {
    (std::env::var(CHILD).ok()? == test_path(module, test)).then(|| std::env::var_os(DB).unwrap().into())
}

/// In a child: the failpoints from `FAILPOINTS` in force, and a failpoint's panic ends the
/// process at once (a crash); any other panic fails the child as usual.
pub fn arm_failpoints() -> switchboard_store::fail::FailScenario<'static> {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<String>().is_some_and(|message| message == CRASH) {
            eprintln!("crashed at a failpoint: {info}");
            std::process::exit(CRASHED);
        }
        default_hook(info);
    }));
    switchboard_store::fail::FailScenario::setup()
}

/// Checks that a child ran its one test and it passed.
pub fn assert_child_passed(output: &Output, context: &str) {
    let ran = String::from_utf8_lossy(&output.stdout).contains("test result: ok. 1 passed");
    assert!(output.status.success() && ran, "{context}: {}", describe(output));
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// An engine on `store` with the cooperative simulator, fast.
pub fn sim_engine(store: &Arc<Store>) -> Arc<Engine> {
    // Targets a crashed process leased are taken up again once the lease lapses: soon, here.
    let settings = EngineSettings { lease_ttl: Duration::from_secs(2), ..EngineSettings::default() };
    let mut engine = Engine::new(Arc::clone(store), settings);
    let settings = SimSettings { time_scale: 2_000.0, cast: Cast::Cooperative, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(settings)));
    Arc::new(engine)
}

/// A two-round quote campaign over `VENDORS` fresh vendors in `store`.
pub fn crash_campaign(store: &Store) -> CampaignSpec {
    super::seed(store);
    let vendors = switchboard_fakes::fixtures::vendor_writes(VENDORS, 312);
    let ids: Vec<_> = store.write_contacts(&vendors, UnixMillis(1)).unwrap().into_iter().map(Result::unwrap).collect();
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;
    CampaignSpec {
        name: "crash points".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent("Vendor quote"),
        negotiation_agent_id: Some(agent("Vendor negotiation")),
        contacts: ids,
        concurrency: 3,
        max_attempts: MAX_ATTEMPTS,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(1_000)),
    }
}

/// One life of the app: launches the campaign on a new database, else closes what the last
/// life left open and resumes; returns when the campaign has completed.
async fn campaign_life(db: &Path) {
    let store = Arc::new(Store::open(db).unwrap());
    let engine = sim_engine(&store);
    let id = match store.list_campaigns().unwrap().first() {
        None => engine.launch_campaign(crash_campaign(&store)).await.unwrap(),
        Some(campaign) => {
            engine.close_abandoned_calls().await.unwrap();
            engine.resume_campaigns().await.unwrap();
            campaign.id
        }
    };
    wait_completed(&store, id, Duration::from_secs(60)).await;
}

/// Waits until campaign `id` has completed.
pub async fn wait_completed(store: &Store, id: i64, within: Duration) {
    let give_up = tokio::time::Instant::now() + within;
    loop {
        let campaign = store.campaign(id).unwrap().unwrap();
        match campaign.status.as_str() {
            "completed" => return,
            "running" => {}
            other => panic!("the campaign stopped {other}: {:?}", campaign.status_reason),
        }
        if tokio::time::Instant::now() >= give_up {
            let targets = store.campaign_targets(id, campaign.round).unwrap();
            let calls = store.calls_in_campaign(id).unwrap();
            let calls: Vec<_> = calls.iter().map(|c| (c.id, c.state, c.end_reason.clone())).collect();
            panic!("campaign {id} did not complete in {within:?}; targets: {targets:?}; calls: {calls:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_campaign_crashed_at_each_commit_boundary_resumes_without_a_loss_or_a_double() {
    if let Some(db) =
        child_of(module_path!(), "a_campaign_crashed_at_each_commit_boundary_resumes_without_a_loss_or_a_double")
    {
        let _failpoints = arm_failpoints();
        tokio::runtime::Runtime::new().unwrap().block_on(campaign_life(&db));
        return;
    }
    for (point, actions) in CAMPAIGN_POINTS {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("switchboard.db");
        let test = "a_campaign_crashed_at_each_commit_boundary_resumes_without_a_loss_or_a_double";
        let crashed = run_child(module_path!(), test, &db, &format!("{point}={actions}"));
        assert_eq!(crashed.status.code(), Some(CRASHED), "a crash at {point}: {}", describe(&crashed));
        let resumed = run_child(module_path!(), test, &db, "");
        assert_child_passed(&resumed, &format!("after a crash at {point}"));
        assert_campaign_whole(&Store::open(&db).unwrap(), point);
    }
}

const VENDORS_CSV: &str = "name,phone,item,quantity
Acme Fasteners,+1 312 555 0143,M8 bolts,1000
Bolt Brothers,+1 312 555 0144,M8 bolts,1000
Coastal Nuts,+1 312 555 0145,M8 bolts,1000
Delta Supply,+1 312 555 0146,M8 bolts,1000
Eagle Hardware,+1 312 555 0147,M8 bolts,1000
Acme Fasteners (again),+1 312 555 0143,M8 bolts,1000
";

/// One import of `VENDORS_CSV` into `db`; returns the report's rows.
fn import_life(db: &Path) -> Vec<RowOutcome> {
    let store = Store::open(db).unwrap();
    let options = ImportOptions { kind: None, dry_run: false, region: "US".into(), sheet: None };
    let report = import_contacts(&store, "vendors.csv", VENDORS_CSV, &options).unwrap();
    report.rows.into_iter().map(|row| row.outcome).collect()
}

#[test]
fn an_import_crashed_at_each_commit_boundary_and_run_again_writes_each_contact_once() {
    let test = "an_import_crashed_at_each_commit_boundary_and_run_again_writes_each_contact_once";
    if let Some(db) = child_of(module_path!(), test) {
        let _failpoints = arm_failpoints();
        import_life(&db);
        return;
    }
    for (point, actions) in IMPORT_POINTS {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("switchboard.db");
        let crashed = run_child(module_path!(), test, &db, &format!("{point}={actions}"));
        assert_eq!(crashed.status.code(), Some(CRASHED), "a crash at {point}: {}", describe(&crashed));
        let rows = import_life(&db);
        assert!(rows.iter().all(|row| !matches!(row, RowOutcome::Rejected { .. })), "{point}: {rows:?}");
        let contacts = Store::open(&db).unwrap().list_contacts().unwrap();
        let names: Vec<_> = contacts.iter().map(|c| c.fields.name.as_str()).collect();
        assert_eq!(contacts.len(), 5, "{point}: each number once: {names:?}");
    }
}

/// Calls the inbox crash test's webhooks report on, and the statuses each reports in order.
const INBOX_CALLS: usize = 4;
const INBOX_STATUSES: [&str; 3] = ["ringing", "in-progress", "completed"];

/// One life of a listener's inbox: on a new database, stores the calls and their accepted
/// status callbacks (as the listener does before its 200); then replays what is unprocessed.
async fn inbox_life(db: &Path) {
    let store = Arc::new(Store::open(db).unwrap());
    if store.inbox_counts().unwrap().total == 0 {
        super::seed(&store);
        let agent = store.list_agents().unwrap().remove(0);
        let contact = store.list_contacts().unwrap().remove(0);
        for i in 0..INBOX_CALLS {
            let new_call = switchboard_store::NewCall {
                contact_id: contact.id,
                agent_id: agent.id,
                backend: agent.config.backend,
                phone_e164: contact.phone_e164.clone().unwrap(),
                created_at: UnixMillis(1),
                campaign: None,
            };
            let call = store.insert_call(&new_call).unwrap();
            store.advance_call(call.id, CallState::Dialing, None, UnixMillis(2)).unwrap();
            store.set_provider_call_id(call.id, &format!("CA{i}")).unwrap();
        }
        for (sequence, status) in INBOX_STATUSES.iter().enumerate() {
            for i in 0..INBOX_CALLS {
                let body = format!("CallSid=CA{i}&AccountSid=AC1&CallStatus={status}&SequenceNumber={sequence}");
                let key = format!("status:CA{i}:{status}:{sequence}");
                let webhook = switchboard_store::NewWebhook {
                    provider: "twilio",
                    route: "twilio-status",
                    event_key: &key,
                    received_at: switchboard_engine::now(),
                    request_id: None,
                    content_type: Some("application/x-www-form-urlencoded"),
                    body: body.as_bytes(),
                };
                store.insert_webhook(&webhook).unwrap();
            }
        }
    }
    let settings = switchboard_telephony::listener::ListenerSettings::new("https://switchboard.example");
    let state = Arc::new(switchboard_telephony::listener::ListenerState::new(
        Arc::clone(&store),
        switchboard_engine::EventBus::new(64),
        Default::default(),
        settings,
    ));
    switchboard_telephony::listener::replay_inbox(&state).await.unwrap();
}

#[test]
fn an_inbox_crashed_at_each_commit_boundary_applies_every_accepted_webhook_once() {
    let test = "an_inbox_crashed_at_each_commit_boundary_applies_every_accepted_webhook_once";
    if let Some(db) = child_of(module_path!(), test) {
        let _failpoints = arm_failpoints();
        tokio::runtime::Runtime::new().unwrap().block_on(inbox_life(&db));
        return;
    }
    let points = [
        ("inbox-applied", "5*off->panic(crash)"),
        ("inbox-marked", "6*off->panic(crash)"),
        ("call-end-before-commit", "1*off->panic(crash)"),
    ];
    for (point, actions) in points {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("switchboard.db");
        let crashed = run_child(module_path!(), test, &db, &format!("{point}={actions}"));
        assert_eq!(crashed.status.code(), Some(CRASHED), "a crash at {point}: {}", describe(&crashed));
        let resumed = run_child(module_path!(), test, &db, "");
        assert_child_passed(&resumed, &format!("after a crash at {point}"));
        let store = Store::open(&db).unwrap();
        let counts = store.inbox_counts().unwrap();
        let all = (INBOX_CALLS * INBOX_STATUSES.len()) as u32;
        assert_eq!((counts.total, counts.pending, counts.failed), (all, 0, 0), "{point}: every webhook applied");
        let calls = store.list_calls(100).unwrap();
        assert_eq!(calls.len(), INBOX_CALLS);
        for call in calls {
            assert_eq!(call.state, CallState::Completed, "{point}: {call:?}");
            assert_eq!(call.end_reason.as_deref(), Some("the call ended (Twilio: completed)"), "{point}");
            assert!(call.answered_at.is_some(), "{point}: the in-progress report was applied to {call:?}");
        }
    }
}
