//! One profile, one engine: canceling a campaign (ending its calls on the line, or letting them
//! finish), two engines over one database never dialling a target twice, and a call cut off by
//! the app closing giving its attempt back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, CallSummary};
use switchboard_engine::campaigns::LET_FINISH;
use switchboard_engine::{CLOSED_WHILE_LIVE, ENDED_BY_DISPATCHER, Engine, EngineSettings};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

/// An engine over `store` on a cooperative simulator, leasing targets as `owner`.
fn engine_over(store: &Arc<Store>, time_scale: f64, owner: &str) -> Arc<Engine> {
    engine_leasing(store, time_scale, EngineSettings { lease_owner: owner.to_owned(), ..EngineSettings::default() })
}

fn engine_leasing(store: &Arc<Store>, time_scale: f64, settings: EngineSettings) -> Arc<Engine> {
    let mut engine = Engine::new(Arc::clone(store), settings);
    let sim = SimSettings { time_scale, cast: Cast::Cooperative, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(sim)));
    Arc::new(engine)
}

fn seeded_store() -> Arc<Store> {
    let store = Store::open_in_memory().unwrap();
    super::seed(&store);
    Arc::new(store)
}

/// A one-round quote campaign over every seeded vendor, `concurrency` at once, `attempts` each.
fn spec(store: &Store, concurrency: u32, attempts: u32) -> switchboard_engine::campaigns::CampaignSpec {
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;
    let contacts = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    switchboard_engine::campaigns::CampaignSpec {
        max_attempts: attempts,
        ..switchboard_fakes::fixtures::quote_campaign("profile", agent, None, contacts, concurrency)
    }
}

/// Waits (20 s at most) until `check` holds for the campaign's calls.
async fn until_calls(store: &Store, id: i64, what: &str, check: impl Fn(&[CallSummary]) -> bool) -> Vec<CallSummary> {
    for _ in 0..400 {
        let calls = store.calls_in_campaign(id).unwrap();
        if check(&calls) {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}; calls: {:?}", store.calls_in_campaign(id).unwrap());
}

/// Waits (20 s at most) until no target of round 1 is on the line.
async fn until_settled(store: &Store, id: i64) -> Vec<switchboard_store::TargetRow> {
    for _ in 0..400 {
        let targets = store.campaign_targets(id, 1).unwrap();
        if targets.iter().all(|t| t.status != "calling") {
            return targets;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("targets still on the line: {:?}", store.campaign_targets(id, 1).unwrap());
}

fn answered(calls: &[CallSummary]) -> usize {
    calls.iter().filter(|c| c.state == CallState::InProgress).count()
}

#[tokio::test]
async fn canceling_and_ending_the_calls_on_the_line_ends_them_by_the_dispatcher() {
    let store = seeded_store();
    // Played at real speed, so the calls are still talking when the cancel comes, however
    // busy the machine is between seeing them answered and canceling.
    let engine = engine_over(&store, 1.0, "this run");
    let id = engine.launch_campaign(spec(&store, 2, 1)).await.unwrap();
    until_calls(&store, id, "two calls answered", |calls| answered(calls) == 2).await;

    let report = engine.cancel_campaign(id, true).await.unwrap();
    assert_eq!((report.ended.len(), report.left.len()), (2, 0), "{report:?}");
    let targets = until_settled(&store, id).await;
    let calls = store.calls_in_campaign(id).unwrap();
    assert_eq!(calls.len(), 2, "no call started after the cancel");
    for call in &calls {
        assert_eq!((call.state, call.end_reason.as_deref()), (CallState::Canceled, Some(ENDED_BY_DISPATCHER)));
    }
    for target in &targets {
        let expected = match target.call_id {
            Some(_) => ENDED_BY_DISPATCHER,
            None if target.status == "skipped" => continue,
            None => "canceled",
        };
        assert_eq!((target.status.as_str(), target.outcome.as_deref()), ("canceled", Some(expected)), "{target:?}");
    }
    assert!(engine.cancel_campaign(id, true).await.is_err(), "canceled once");
    assert!(store.unfinished_campaigns().unwrap().is_empty(), "the runner wound down");
}

#[tokio::test]
async fn canceling_and_letting_the_calls_finish_keeps_their_real_ends() {
    let store = seeded_store();
    let engine = engine_over(&store, 8.0, "this run");
    let id = engine.launch_campaign(spec(&store, 2, 1)).await.unwrap();
    until_calls(&store, id, "two calls answered", |calls| answered(calls) == 2).await;

    let report = engine.cancel_campaign(id, false).await.unwrap();
    assert!(report.ended.is_empty());
    assert_eq!(report.left.iter().map(|l| l.reason.as_str()).collect::<Vec<_>>(), [LET_FINISH, LET_FINISH]);
    let pending: Vec<_> =
        store.campaign_targets(id, 1).unwrap().into_iter().filter(|t| t.status == "pending").collect();
    assert!(pending.is_empty(), "no target is left pending (scheduled) once canceled: {pending:?}");

    let targets = until_settled(&store, id).await;
    let calls = store.calls_in_campaign(id).unwrap();
    assert_eq!(calls.len(), 2, "no call started after the cancel");
    assert!(calls.iter().all(|c| c.state == CallState::Completed), "{calls:?}");
    let called: Vec<_> = targets.iter().filter(|t| t.call_id.is_some()).collect();
    assert_eq!(called.len(), 2);
    for target in called {
        let call = calls.iter().find(|c| Some(c.id) == target.call_id).unwrap();
        assert_eq!((target.status.as_str(), target.outcome.as_ref()), ("done", call.end_reason.as_ref()));
    }
    assert!(targets.iter().filter(|t| t.call_id.is_none()).all(|t| t.status == "canceled" || t.status == "skipped"));
    assert_eq!(store.campaign(id).unwrap().unwrap().status, "canceled");
}

#[tokio::test]
async fn two_engines_running_one_campaign_never_dial_a_target_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    super::seed(&store);
    let first = engine_over(&store, 400.0, "pid 1");
    let second = engine_over(&store, 400.0, "pid 2");
    let id = first.launch_campaign(spec(&store, 4, 1)).await.unwrap();
    assert_eq!(second.resume_campaigns().await.unwrap(), 1, "the second runs the same campaign");
    for _ in 0..400 {
        if store.campaign(id).unwrap().unwrap().status == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.campaign(id).unwrap().unwrap().status, "completed");
    let mut per_contact: HashMap<i64, usize> = HashMap::new();
    for call in store.calls_in_campaign(id).unwrap() {
        *per_contact.entry(call.contact_id.0).or_default() += 1;
    }
    assert_eq!(per_contact.len(), 4, "every vendor with a number was called");
    assert!(per_contact.values().all(|n| *n == 1), "one call per vendor: {per_contact:?}");
    assert!(store.campaign_targets(id, 1).unwrap().iter().all(|t| t.attempts <= 1));
}

#[test]
fn a_call_cut_off_by_the_app_closing_does_not_use_up_an_attempt() {
    let store = seeded_store();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let id = runtime.block_on(async {
        let engine = engine_over(&store, 4.0, "killed");
        let id = engine.launch_campaign(spec(&store, 4, 1)).await.unwrap();
        until_calls(&store, id, "calls answered", |calls| answered(calls) >= 1).await;
        id
    });
    // The app is killed mid-call (every task stops at its next await).
    runtime.shutdown_timeout(Duration::from_secs(5));
    let cut_off = store.calls_in_campaign(id).unwrap().into_iter().filter(|c| !c.state.is_terminal()).count();
    assert!(cut_off >= 1);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = engine_over(&store, 400.0, "restarted");
        assert_eq!(engine.close_abandoned_calls().await.unwrap(), cut_off);
        engine.resume_campaigns().await.unwrap();
        for _ in 0..400 {
            if store.campaign(id).unwrap().unwrap().status == "completed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert_eq!(store.campaign(id).unwrap().unwrap().status, "completed");
    let calls = store.calls_in_campaign(id).unwrap();
    assert_eq!(calls.iter().filter(|c| c.end_reason.as_deref() == Some(CLOSED_WHILE_LIVE)).count(), cut_off);
    for target in store.campaign_targets(id, 1).unwrap().iter().filter(|t| t.status != "skipped") {
        assert_eq!(target.attempts, 1, "one attempt used, with one attempt allowed: {target:?}");
        let last = calls.iter().find(|c| Some(c.id) == target.call_id).unwrap();
        assert_eq!(last.state, CallState::Completed, "called again after the cut-off: {target:?}");
    }
}

#[tokio::test]
async fn a_runner_renews_its_leases_while_its_calls_outlast_them() {
    let store = seeded_store();
    let ttl = Duration::from_millis(600);
    let settings = EngineSettings { lease_owner: "long calls".into(), lease_ttl: ttl, ..EngineSettings::default() };
    let engine = engine_leasing(&store, 2.0, settings);
    let id = engine.launch_campaign(spec(&store, 2, 1)).await.unwrap();
    until_calls(&store, id, "two calls answered", |calls| answered(calls) == 2).await;
    // Several lease times into the calls, their targets are still held by this runner.
    tokio::time::sleep(ttl * 4).await;
    let clock = switchboard_engine::now();
    let held: Vec<_> = store.campaign_targets(id, 1).unwrap().into_iter().filter(|t| t.status == "calling").collect();
    assert_eq!(held.len(), 2);
    for target in &held {
        assert_eq!(target.lease_owner.as_deref(), Some("long calls"));
        assert!(target.leased_by_other("another process", clock), "renewed past its first expiry: {target:?}");
    }
    engine.cancel_campaign(id, true).await.unwrap();
}
