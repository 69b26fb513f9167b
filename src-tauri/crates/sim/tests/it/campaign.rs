//! Vendor quote campaigns on the simulator, end to end through the engine and store.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, ContactKind, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignResult, CampaignSpec, launch_problems};
use switchboard_engine::{AUDIO_BRAKE_HOLD, EngineEvent, now};

#[tokio::test]
async fn a_quote_run_negotiates_with_vendors_above_the_best_price_then_summarises() {
    quote_run(super::engine(400.0)).await;
}

/// The same run with the store on Postgres: every read and write of the engine's quote
/// campaign, both rounds, goes through the Postgres schema and queries.
#[tokio::test]
async fn a_quote_run_on_postgres_negotiates_with_vendors_above_the_best_price_then_summarises() {
    let store = switchboard_store::testing::postgres_store();
    quote_run(super::engine_on(store, 400.0)).await;
}

async fn quote_run(engine: switchboard_engine::Engine) {
    let engine = Arc::new(engine);
    let mut events = engine.bus().subscribe();
    let store = Arc::clone(engine.store());
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;
    let contacts: Vec<_> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let spec = CampaignSpec {
        name: "M8 bolts".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent("Vendor quote"),
        negotiation_agent_id: Some(agent("Vendor negotiation")),
        contacts: contacts.clone(),
        concurrency: 3,
        max_attempts: 2,
        retry_spacing_ms: 10,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(10_000)),
    };
    let id = engine.launch_campaign(spec).await.unwrap();

    let mut updates = Vec::new();
    loop {
        let event =
            tokio::time::timeout(Duration::from_secs(30), events.recv()).await.expect("campaign finished").unwrap();
        if let EngineEvent::CampaignUpdated { campaign_id, status, round } = &*event
            && *campaign_id == id
        {
            updates.push((status.clone(), *round));
            if status == "completed" {
                break;
            }
        }
    }
    // Each settled target publishes its campaign's progress too: the steps are what count.
    updates.dedup();
    assert_eq!(updates, [("running".to_owned(), 1), ("running".to_owned(), 2), ("completed".to_owned(), 2)]);

    let round_one = store.campaign_targets(id, 1).unwrap();
    let harbor = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Harbor Supply Co.").unwrap();
    let skipped: Vec<_> = round_one.iter().filter(|t| t.status == "skipped").collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].contact_id, harbor.id);
    assert!(skipped[0].outcome.as_deref().unwrap().contains("not a valid phone number"));

    let campaign = store.campaign(id).unwrap().unwrap();
    let CampaignResult::Quotes(summary) = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap() else {
        panic!("a quote summary")
    };
    assert_eq!((summary.suppliers_called, summary.quotes_received), (4, 4));
    let offers = store.campaign_offers(id).unwrap();
    let round_two = store.campaign_targets(id, 2).unwrap();
    assert!(!round_two.is_empty());
    let dollars = |text: &String| text.trim_start_matches('$').parse::<f64>().unwrap();
    let best_landed = dollars(&round_two[0].variables["best_landed"]);
    let best_vendor = &round_two[0].variables["best_vendor"];
    for target in &round_two {
        let (_, vendor, first) = offers.iter().find(|(r, _, o)| *r == 1 && o.contact_id == target.contact_id).unwrap();
        assert_ne!(vendor, best_vendor, "the best is not pressed");
        assert_eq!(target.variables["their_price"], switchboard_core::money(first.unit_price.unwrap()));
        assert!(dollars(&target.variables["their_landed"]) >= best_landed, "only vendors above the best landed cost");
        assert_eq!(target.variables["target_price"], "$0.42", "the request's target");
        assert_eq!(target.status, "done");
    }
    let best = &summary.ranked[0];
    assert_eq!(best.rank, 1);
    assert!(best.landed_price().unwrap() <= best_landed, "{best:?}");
    assert!(summary.recommendation.starts_with(&format!("Order from {}", best.vendor)), "{}", summary.recommendation);
    assert!(summary.next_steps.iter().any(|s| s.contains("Harbor Supply Co.")), "{:?}", summary.next_steps);
    let calls = store.list_calls(100).unwrap();
    assert_eq!(calls.len(), 4 + round_two.len(), "one call per vendor per round, nothing duplicated");
    assert!(calls.iter().all(|c| c.state == CallState::Completed));
}

#[tokio::test]
async fn campaigns_share_the_overall_limit_on_calls_at_once() {
    let store = Arc::new(switchboard_store::Store::open_in_memory().unwrap());
    super::seed(&store);
    let settings = switchboard_engine::EngineSettings { max_campaign_calls: 2, ..Default::default() };
    let mut engine = switchboard_engine::Engine::new(Arc::clone(&store), settings);
    let sim = switchboard_sim::SimSettings {
        time_scale: 1_000.0,
        cast: switchboard_sim::Cast::Cooperative,
        ..Default::default()
    };
    engine.register_backend(Arc::new(switchboard_sim::Simulator::new(sim)));
    let engine = Arc::new(engine);
    let mut events = engine.bus().subscribe();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;
    let contacts: Vec<_> = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    let spec = |name: &str| CampaignSpec {
        name: name.into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: contacts.clone(),
        concurrency: 5,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(10_000)),
    };
    let first = engine.launch_campaign(spec("a")).await.unwrap();
    let second = engine.launch_campaign(spec("b")).await.unwrap();

    let mut open = std::collections::HashSet::new();
    let mut most = 0;
    let mut finished = 0;
    while finished < 2 {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv()).await.expect("both finish").unwrap();
        match &*event {
            EngineEvent::CallUpdated { call } if call.state.is_terminal() => {
                open.remove(&call.id);
            }
            EngineEvent::CallUpdated { call } => {
                open.insert(call.id);
                most = most.max(open.len());
            }
            EngineEvent::CampaignUpdated { status, .. } if status == "completed" => finished += 1,
            _ => {}
        }
    }
    assert_eq!(most, 2, "never more than the overall limit on the line");
    for id in [first, second] {
        assert_eq!(store.calls_in_campaign(id).unwrap().len(), 4, "every callable vendor was called in campaign {id}");
    }
}

#[tokio::test]
async fn a_driver_batch_calls_every_driver_with_their_violations_and_records_an_outcome_each() {
    let store = Arc::new(switchboard_store::Store::open_in_memory().unwrap());
    crate::seed_drivers(&store);
    let mut engine = switchboard_engine::Engine::new(Arc::clone(&store), Default::default());
    let sim = switchboard_sim::SimSettings { time_scale: 1_000.0, ..Default::default() };
    engine.register_backend(Arc::new(switchboard_sim::Simulator::new(sim)));
    let engine = Arc::new(engine);
    let drivers = store.list_contacts().unwrap();
    let spec = CampaignSpec {
        name: "safety".into(),
        kind: CampaignKind::DriverViolation,
        agent_id: store.list_agents().unwrap()[0].id,
        negotiation_agent_id: None,
        contacts: drivers.iter().map(|c| c.id).collect(),
        concurrency: 2,
        max_attempts: 3,
        retry_spacing_ms: 5,
        ignore_calling_windows: true,
        budget_usd: None,
        request: None,
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    while store.campaign(id).unwrap().unwrap().status == "running" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let campaign = store.campaign(id).unwrap().unwrap();
    let CampaignResult::Drivers { outcomes, .. } = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap()
    else {
        panic!("driver outcomes")
    };
    assert_eq!(outcomes.len(), 2, "every driver, not just the first");
    for outcome in &outcomes {
        assert_ne!(outcome.outcome, switchboard_engine::campaigns::DriverAnswer::Skipped, "{outcome:?}");
        assert!(!outcome.reason.is_empty(), "{outcome:?}");
    }
    // Each driver heard about their own violations: the prompt variables were filled per driver.
    for call in store.calls_in_campaign(id).unwrap().iter().filter(|c| c.state == CallState::Completed) {
        let first = &store.transcript(call.id).unwrap()[0].text;
        let driver = drivers.iter().find(|d| d.id == call.contact_id).unwrap();
        let count = driver.fields.driver().unwrap().violations.len();
        assert!(first.starts_with(&format!("Hi {},", driver.fields.name)), "{first}");
        let events = if count == 1 { "1 safety event on".to_owned() } else { format!("{count} safety events on") };
        assert!(first.contains(&format!("about {events}")), "{first}");
    }
}

#[tokio::test]
async fn the_builder_and_the_campaign_give_the_same_skip_reason_and_warn_of_extensions() {
    let store = Arc::new(switchboard_store::Store::open_in_memory().unwrap());
    crate::seed_drivers(&store);
    // Saved as an earlier version's editor saved anything: a zone no check reads, and a
    // driver on a switchboard.
    let drivers = store.list_contacts().unwrap();
    let mut legacy = drivers[0].fields.clone();
    legacy.name = "Old Import".into();
    legacy.phone = "(312) 555-0177".into();
    legacy.time_zone = Some("Central Europe".into());
    let phone = switchboard_core::parse_phone(&legacy.phone, "US").unwrap();
    let legacy = store.insert_contact(&legacy, Some(&phone), now()).unwrap();
    let mut desk = drivers.into_iter().find(|d| d.fields.name == "Maria Lopez").unwrap();
    desk.fields.phone = "(312) 555-0100 x7".into();
    let phone = switchboard_core::parse_phone(&desk.fields.phone, "US").unwrap();
    store.update_contact(desk.id, &desk.fields, Some(&phone), now()).unwrap();

    let agent = store.list_agents().unwrap()[0].id;
    let contacts: Vec<_> = store.list_contacts().unwrap().iter().map(|c| c.id).collect();
    let problems = launch_problems(&store, agent, None, &contacts, ContactKind::Driver, None).unwrap();
    let reason = "\"Central Europe\" is not a time zone: use a name such as America/Chicago, or a US zone such as CST, \
                  Eastern or Pacific";
    let flagged: Vec<(&str, Option<&str>, &[String])> =
        problems.iter().map(|p| (p.contact_name.as_str(), p.skip_reason.as_deref(), p.warnings.as_slice())).collect();
    assert_eq!(
        flagged,
        [
            (
                "Maria Lopez",
                None,
                &["extension 7 will not be dialled: the simulator calls the main number only".to_owned()][..]
            ),
            ("Old Import", Some(reason), &[][..]),
        ]
    );

    let mut engine = switchboard_engine::Engine::new(Arc::clone(&store), Default::default());
    let sim = switchboard_sim::SimSettings { time_scale: 1_000.0, ..Default::default() };
    engine.register_backend(Arc::new(switchboard_sim::Simulator::new(sim)));
    let engine = Arc::new(engine);
    let spec = CampaignSpec {
        name: "safety".into(),
        kind: CampaignKind::DriverViolation,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts,
        concurrency: 2,
        max_attempts: 1,
        retry_spacing_ms: 5,
        ignore_calling_windows: true,
        budget_usd: None,
        request: None,
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    while store.campaign(id).unwrap().unwrap().status == "running" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let targets = store.campaign_targets(id, 1).unwrap();
    let skipped = targets.iter().find(|t| t.contact_id == legacy).unwrap();
    assert_eq!((skipped.status.as_str(), skipped.outcome.as_deref()), ("skipped", Some(reason)));
    let campaign = store.campaign(id).unwrap().unwrap();
    let CampaignResult::Drivers { outcomes, .. } = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap()
    else {
        panic!("driver outcomes")
    };
    let old = outcomes.iter().find(|o| o.contact_id == legacy).unwrap();
    assert_eq!((old.outcome, old.reason.as_str()), (switchboard_engine::campaigns::DriverAnswer::Skipped, reason));
    assert_eq!(store.calls_in_campaign(id).unwrap().len(), 2, "the two others are called");
}

#[test]
fn a_vendor_only_the_negotiation_cannot_call_is_called_in_round_one_and_warned_about() {
    let store = switchboard_store::Store::open_in_memory().unwrap();
    super::seed(&store);
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;
    let mut acme = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    if let switchboard_core::ContactDetails::Vendor(vendor) = &mut acme.fields.details {
        vendor.location = None;
    }
    let phone = switchboard_core::parse_phone(&acme.fields.phone, "US").unwrap();
    store.update_contact(acme.id, &acme.fields, Some(&phone), now()).unwrap();
    // The negotiation asks about the vendor's own location, which Acme no longer has.
    let mut negotiating = agents.iter().find(|a| a.config.name == "Vendor negotiation").unwrap().clone();
    negotiating.config.system_prompt.push_str(" Ask whether they still ship from {{location}}.");
    store.update_agent(negotiating.id, &negotiating.config).unwrap();

    let request = switchboard_fakes::fixtures::bolts_request(10_000);
    let check = |negotiation| {
        let (quote, vendors) = (agent("Vendor quote"), &[acme.id]);
        launch_problems(&store, quote, negotiation, vendors, ContactKind::Vendor, Some(&request)).unwrap()
    };
    assert_eq!(check(None), []);
    let problems = check(Some(agent("Vendor negotiation")));
    assert_eq!(problems[0].skip_reason, None);
    assert_eq!(problems[0].warnings, ["round 2 will skip it: Vendor negotiation needs location"]);
}

#[tokio::test]
async fn a_campaign_starts_no_call_while_the_audio_brake_holds_then_calls_everyone() {
    let engine = Arc::new(super::engine(400.0));
    let mut events = engine.bus().subscribe();
    let store = Arc::clone(engine.store());
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;
    let spec = CampaignSpec {
        name: "held".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: store.list_contacts().unwrap().into_iter().map(|c| c.id).collect(),
        concurrency: 3,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(10_000)),
    };
    // The audio fell behind long enough ago that the brake holds for another 1.5 s.
    let hold = i64::try_from(AUDIO_BRAKE_HOLD.as_millis()).unwrap();
    engine.audio_brake().apply(UnixMillis(now().0 - hold + 1_500));
    let id = engine.launch_campaign(spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(store.calls_in_campaign(id).unwrap().is_empty(), "no call is placed while the brake holds");

    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv()).await.expect("finished").unwrap();
        if let EngineEvent::CampaignUpdated { campaign_id, status, .. } = &*event
            && *campaign_id == id
            && status == "completed"
        {
            break;
        }
    }
    assert_eq!(store.calls_in_campaign(id).unwrap().len(), 4, "every callable vendor was called once it let go");
}

#[tokio::test]
async fn a_campaign_launched_before_requests_were_kept_asks_what_its_vendors_stored_details_say() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3");
    let store = Arc::new(switchboard_store::Store::open(&db).unwrap());
    super::seed(&store);
    // Vendors as an older Switchboard stored them: the item, quantity and target on each.
    let old = r#"{"kind": "vendor", "item": "M8 bolts", "quantity": 5000, "targetPrice": 0.4}"#;
    rusqlite::Connection::open(&db).unwrap().execute("UPDATE contacts SET details = ?1", [old]).unwrap();
    let contacts = store.list_contacts().unwrap();
    assert!(contacts.iter().all(|c| c.fields.vendor().is_some()), "the old details still read");

    let mut engine = switchboard_engine::Engine::new(Arc::clone(&store), Default::default());
    let sim = switchboard_sim::SimSettings { time_scale: 1_000.0, ..Default::default() };
    engine.register_backend(Arc::new(switchboard_sim::Simulator::new(sim)));
    let engine = Arc::new(engine);
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;
    let spec = CampaignSpec {
        name: "launched long ago".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: contacts.iter().map(|c| c.id).collect(),
        concurrency: 5,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: None,
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    while store.campaign(id).unwrap().unwrap().status == "running" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let campaign = store.campaign(id).unwrap().unwrap();
    assert_eq!(campaign.status, "completed", "{:?}", campaign.status_reason);
    let CampaignResult::Quotes(summary) = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap() else {
        panic!("a quote summary")
    };
    assert_eq!(summary.target_price, Some(0.4), "the vendors' stored target");
    let (per_unit, total) = (summary.savings_per_unit.unwrap(), summary.savings_total.unwrap());
    assert!((per_unit * 5000.0 - total).abs() < 0.01, "savings over the stored quantity: {per_unit} × 5000 ≠ {total}");
    let first = store.calls_in_campaign(id).unwrap().into_iter().find(|c| c.state == CallState::Completed).unwrap();
    let opening = store.transcript(first.id).unwrap().remove(0).text;
    assert!(opening.contains("5000 units of M8 bolts"), "{opening}");
}
