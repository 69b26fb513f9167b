//! Campaign budgets on the simulator: calls priced as if real on the agent's backend (Vapi at
//! $0.05 a minute; every cooperative vendor call lasts between one and two simulated minutes, so
//! costs $0.10), the campaign paused when spent plus the calls on the line reach its budget, and
//! resumed with a higher one.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CostRates, CostSettings};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec, campaign_view};
use switchboard_engine::costs::{raise_budget, save_cost_settings};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

/// An engine placing every call on the simulator, whose quote agent is on Vapi at $0.05 a minute.
fn engine() -> Arc<Engine> {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let mut config = agent.config.clone();
    config.backend = BackendKind::Vapi;
    store.update_agent(agent.id, &config).unwrap();
    let rates = CostRates { vapi_minute: 0.05, ..CostRates::default() };
    save_cost_settings(&store, &CostSettings { rates, per_call_limit_usd: None }).unwrap();
    let settings = EngineSettings { backend_override: Some(BackendKind::Simulator), ..EngineSettings::default() };
    let mut engine = Engine::new(store, settings);
    let sim = SimSettings { time_scale: 400.0, cast: Cast::Cooperative, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(sim)));
    Arc::new(engine)
}

fn spec(engine: &Engine, concurrency: u32, budget_usd: f64) -> CampaignSpec {
    let store = engine.store();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;
    CampaignSpec {
        name: "M8 bolts".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: store.list_contacts().unwrap().into_iter().map(|c| c.id).collect(),
        concurrency,
        max_attempts: 1,
        retry_spacing_ms: 10,
        ignore_calling_windows: true,
        budget_usd: Some(budget_usd),
        request: Some(switchboard_fakes::fixtures::bolts_request(10_000)),
    }
}

/// Waits until campaign `id` is `status` with no call on the line.
async fn settled(engine: &Engine, id: i64, status: &str) -> switchboard_engine::campaigns::CampaignView {
    let store = engine.store();
    for _ in 0..400 {
        let view = campaign_view(store, store.campaign(id).unwrap().unwrap()).unwrap();
        let open = store.list_calls(100).unwrap().iter().any(|call| !call.state.is_terminal());
        if view.status == status && !open && view.rounds.iter().all(|round| round.calling == 0) {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("campaign {id} did not settle {status}");
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn the_third_call_is_the_last_to_start_under_a_quarter_and_a_higher_budget_finishes_the_run() {
    let engine = engine();
    let id = engine.launch_campaign(spec(&engine, 1, 0.25)).await.unwrap();
    // One at a time, $0.10 each: the 1st starts at $0, the 2nd at $0.10, the 3rd at $0.20; at
    // $0.30 spent the 4th would pass $0.25: none starts, the campaign pauses.
    let paused = settled(&engine, id, "paused").await;
    assert_eq!(paused.status_reason.as_deref(), Some("budget reached"));
    let calls = engine.store().list_calls(100).unwrap();
    assert_eq!(calls.len(), 3, "{calls:?}");
    for call in &calls {
        let price = engine.store().call_price(call.id).unwrap().expect("every call priced");
        assert!(close(price.total_usd, 0.10), "{price:?}");
        assert!(price.estimate, "a simulator call is an estimate");
        assert_eq!((price.items[0].item.as_str(), price.items[0].quantity), ("Vapi minutes", 2.0));
    }
    assert!(close(paused.cost.spent_usd, 0.30), "{:?}", paused.cost);
    // The 4th vendor waits, and the 5th (its number is not valid: it is skipped when its turn comes).
    assert_eq!(paused.rounds[0].pending, 2);
    assert!(close(paused.cost.projected_usd.unwrap(), 0.20), "2 left at $0.10: {:?}", paused.cost);

    let refused = raise_budget(engine.store(), id, 0.30).unwrap_err();
    assert!(refused.to_string().contains("not above the $0.3000"), "{refused}");
    raise_budget(engine.store(), id, 0.35).unwrap();
    let done = settled(&engine, id, "completed").await;
    assert_eq!(engine.store().list_calls(100).unwrap().len(), 4);
    assert!(close(done.cost.spent_usd, 0.40), "{:?}", done.cost);
    assert_eq!(done.cost.budget_usd, Some(0.35));
}

#[tokio::test]
async fn calls_on_the_line_count_at_the_most_a_call_can_cost_until_one_is_priced() {
    let engine = engine();
    // Two at once: the 1st starts at $0; with it on the line, counted at the most a 300 s call
    // costs (5 min × $0.05 = $0.25), $0.20 is passed, so the 2nd does not start.
    let id = engine.launch_campaign(spec(&engine, 2, 0.20)).await.unwrap();
    let paused = settled(&engine, id, "paused").await;
    assert_eq!(engine.store().list_calls(100).unwrap().len(), 1);
    assert!(close(paused.cost.spent_usd, 0.10));
    // At $0.45 and $0.10 a call: $0.10 spent, then 2 on the line ($0.30), then as they end
    // ($0.30 spent) the last one: all four called.
    raise_budget(engine.store(), id, 0.45).unwrap();
    let done = settled(&engine, id, "completed").await;
    assert!(close(done.cost.spent_usd, 0.40), "{:?}", done.cost);
}

#[tokio::test]
async fn a_call_that_could_pass_the_per_call_limit_is_refused_before_dialling_and_says_why() {
    let engine = engine();
    let store = engine.store();
    // At most 300 s on Vapi at $0.05 a minute: 5 × $0.05 = $0.25, above a $0.20 limit.
    let rates = CostRates { vapi_minute: 0.05, ..CostRates::default() };
    save_cost_settings(store, &CostSettings { rates, per_call_limit_usd: Some(0.20) }).unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;
    let acme = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap().id;
    let request = switchboard_fakes::fixtures::bolts_request(10_000);
    let refused = engine.start_quote_call(acme, agent, &request).await.unwrap_err();
    assert_eq!(refused.code(), switchboard_engine::ErrorCode::OverCallLimit);
    assert_eq!(
        refused.to_string(),
        "not calling Acme Fasteners: a call with Vendor quote may last 5 min, which on Vapi could cost up to $0.25 \
         at the rates in Settings, above the per-call limit of $0.20"
    );
    assert!(store.list_calls(10).unwrap().is_empty(), "refused before anything was stored");

    // A campaign's targets are skipped with the same words; nothing is dialled.
    let id = engine.launch_campaign(spec(&engine, 2, 10.0)).await.unwrap();
    let done = settled(&engine, id, "completed").await;
    assert!(store.list_calls(10).unwrap().is_empty());
    let skipped: Vec<_> = done.targets.iter().filter(|t| t.status == "skipped").collect();
    assert_eq!(skipped.len(), 5, "{:?}", done.targets);
    let over_limit =
        skipped.iter().filter(|t| t.outcome.as_deref().unwrap_or_default().contains("per-call limit of $0.20"));
    assert_eq!(over_limit.count(), 4, "the 5th has no valid number");

    // With the limit raised to $0.25 the call is placed.
    save_cost_settings(store, &CostSettings { rates, per_call_limit_usd: Some(0.25) }).unwrap();
    engine.start_quote_call(acme, agent, &request).await.unwrap();
}
