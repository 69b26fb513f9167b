//! A 20-vendor quote run whose "app" is killed and restarted over and over: nothing is lost,
//! nothing is duplicated, and each round advances exactly once.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignResult, CampaignSpec};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

fn engine(store: &Arc<Store>) -> Arc<Engine> {
    let mut engine = Engine::new(Arc::clone(store), EngineSettings::default());
    let settings = SimSettings { time_scale: 2_000.0, cast: Cast::Cooperative, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(settings)));
    Arc::new(engine)
}

#[test]
fn a_run_killed_and_restarted_at_every_step_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    super::seed(&store);
    let vendors = switchboard_fakes::fixtures::vendor_writes(20, 312);
    let ids: Vec<_> = store.write_contacts(&vendors, UnixMillis(1)).unwrap().into_iter().map(Result::unwrap).collect();
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;
    let spec = CampaignSpec {
        name: "restarts".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent("Vendor quote"),
        negotiation_agent_id: Some(agent("Vendor negotiation")),
        contacts: ids.clone(),
        concurrency: 4,
        max_attempts: 100,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(1_000)),
    };

    // First run: launch, then kill the runtime mid-flight; every later run resumes and is killed.
    // Dropping the runtime stops every task at its next await, as a killed app would; store
    // statements already running finish (each is atomic, like SQLite's own commit).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let id = runtime.block_on(async {
        let id = engine(&store).launch_campaign(spec.clone()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(120)).await;
        id
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    let mut restarts = 1;
    while store.campaign(id).unwrap().unwrap().status == "running" {
        assert!(restarts < 60, "the campaign never finished across restarts");
        let runtime = tokio::runtime::Runtime::new().unwrap();
        // Each run lives a little longer than the last; past 50 kills one may run to the end,
        // so a machine too loaded to finish a round between kills still gets through.
        let life = Duration::from_millis(if restarts < 50 { 60 + (restarts % 5) * 30 + restarts } else { 60_000 });
        runtime.block_on(async {
            let engine = engine(&store);
            engine.close_abandoned_calls().await.unwrap();
            engine.resume_campaigns().await.unwrap();
            let killed_at = tokio::time::Instant::now() + life;
            while tokio::time::Instant::now() < killed_at && store.campaign(id).unwrap().unwrap().status == "running" {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(5));
        restarts += 1;
    }
    let campaign = store.campaign(id).unwrap().unwrap();
    assert_eq!((campaign.status.as_str(), campaign.round), ("completed", 2), "after {restarts} restarts");
    assert!(restarts >= 3, "the run was interrupted {restarts} times only");

    let calls = store.calls_in_campaign(id).unwrap();
    assert!(calls.iter().all(|c| c.state.is_terminal()), "no call left open");
    // Exactly one completed call per vendor per round: interrupted calls were retried, never doubled.
    let mut completed: HashMap<(i64, u8), usize> = HashMap::new();
    for call in calls.iter().filter(|c| c.state == CallState::Completed) {
        *completed.entry((call.contact_id.0, call.round.unwrap())).or_default() += 1;
    }
    let round_one = store.campaign_targets(id, 1).unwrap();
    let round_two = store.campaign_targets(id, 2).unwrap();
    assert_eq!(round_one.len(), 20);
    assert!(round_one.iter().chain(&round_two).all(|t| t.status == "done"), "every target settled");
    for target in &round_one {
        assert_eq!(completed.get(&(target.contact_id.0, 1)), Some(&1), "vendor {} in round 1", target.contact_id);
    }
    for target in &round_two {
        assert_eq!(completed.get(&(target.contact_id.0, 2)), Some(&1), "vendor {} in round 2", target.contact_id);
    }
    assert_eq!(completed.len(), round_one.len() + round_two.len(), "no call outside the plan completed");

    // Round 2 is exactly the vendors above the best round-1 landed cost.
    let called_again: BTreeSet<_> = round_two.iter().map(|t| t.contact_id).collect();
    assert_eq!(called_again, switchboard_fakes::campaign_checks::planned_round_two(&store, &campaign, &spec));

    let CampaignResult::Quotes(summary) = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap() else {
        panic!("a quote summary")
    };
    assert_eq!((summary.quotes_received, summary.ranked.len()), (20, 20));
}
