//! Rehearsals on the simulator through the real engine and store: every shipped preset passes
//! its suite; an agent with no `unit_price` to collect fails the scenarios that need it, with
//! the reason; each run is kept per agent version and published as it ends.

use std::sync::Arc;

use switchboard_core::{AgentConfig, RehearsalMode, ScenarioResult};
use switchboard_engine::rehearsal::RehearsalPlan;
use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
use switchboard_engine::{Engine, EngineEvent, EngineSettings};
use switchboard_sim::rehearsal::SimRehearser;
use switchboard_store::Store;

fn engine() -> Engine {
    let store = Store::open_in_memory().unwrap();
    assert!(seed_once(&store, PRESETS, SAMPLE_CONTACTS).unwrap());
    let mut engine = Engine::new(Arc::new(store), EngineSettings::default());
    engine.register_rehearser(Arc::new(SimRehearser));
    engine
}

fn plan(engine: &Engine, agent: &str, runs: u32) -> RehearsalPlan {
    let agent = engine.store().list_agents().unwrap().into_iter().find(|a| a.config.name == agent).unwrap();
    RehearsalPlan { agent_id: agent.id, mode: RehearsalMode::Simulator, scenario: None, runs }
}

#[tokio::test]
async fn every_presets_suite_passes_on_the_simulator_and_is_kept_per_version() {
    let engine = engine();
    let mut events = engine.bus().subscribe();
    for preset in ["Vendor quote", "Vendor negotiation", "Driver violation caller", "Appointment reminder"] {
        let plan = plan(&engine, preset, 2);
        let results = engine.rehearse(plan.clone()).await.unwrap();
        assert!(results.len() >= 6, "{preset}");
        assert_eq!(ScenarioResult::failures(&results), Vec::<String>::new(), "{preset}");
        assert!(results.iter().all(|result| result.runs.len() == 2 && result.pass_rate() == 1.0));
        let report = engine.rehearsal_report(plan.agent_id).await.unwrap();
        assert!(report.passed(), "{preset}");
        assert_eq!(report.results, results, "{preset}: the stored results are the ones returned");
    }
    let mut progress = 0;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::RehearsalProgress { done, total, .. } = &*event {
            progress += 1;
            assert!(done <= total);
        }
    }
    assert!(progress >= 4 * 6 * 2, "a progress event per run: {progress}");
}

#[tokio::test]
async fn an_agent_with_no_unit_price_fails_the_scenarios_that_need_it_and_a_new_version_is_unrehearsed() {
    let engine = engine();
    let plan = plan(&engine, "Vendor quote", 1);
    assert_eq!(engine.rehearsal_report(plan.agent_id).await.unwrap().earlier, None, "never rehearsed");
    assert!(engine.rehearse(plan.clone()).await.unwrap().iter().all(ScenarioResult::passed));
    let first = engine.rehearsal_report(plan.agent_id).await.unwrap();
    assert_eq!(first.earlier, None, "its latest rehearsal is of this version");
    let mut config: AgentConfig = engine.store().agent(plan.agent_id).unwrap().unwrap().config;
    config.data_fields.retain(|field| field.key != "unit_price");
    engine.store().update_agent(plan.agent_id, &config).unwrap();

    let report = engine.rehearsal_report(plan.agent_id).await.unwrap();
    assert!(report.results.iter().all(|result| result.runs.is_empty()), "the changed agent is a new version");
    assert!(!report.passed());
    let earlier = report.earlier.expect("the rehearsal of the version before");
    assert_eq!(earlier.agent_version, first.agent_version);
    assert_ne!(earlier.agent_version, report.agent_version);

    let results = engine.rehearse(plan.clone()).await.unwrap();
    let failed: Vec<&str> =
        results.iter().filter(|result| !result.passed()).map(|result| result.scenario.as_str()).collect();
    assert_eq!(failed, ["Cooperative rep quotes", "Evasive rep answers when asked again", "Phone menu wants a digit"]);
    for failure in ScenarioResult::failures(&results) {
        assert!(failure.ends_with("fields.unit_price: not collected"), "{failure}");
    }
    let second = engine.rehearsal_report(plan.agent_id).await.unwrap();
    assert!(!second.passed());
    assert_eq!(second.earlier, None, "rehearsed in its new version");
}

#[tokio::test]
async fn one_scenario_can_be_rehearsed_by_name_and_an_unknown_one_is_named_with_the_choices() {
    let engine = engine();
    let mut plan = plan(&engine, "Driver violation caller", 3);
    plan.scenario = Some("driver asks for the dispatcher".into());
    let results = engine.rehearse(plan.clone()).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].runs.len(), 3);
    assert!(matches!(&results[0].runs[0].rehearsed.ending, switchboard_core::RehearsalEnding::Transferred { .. }));
    plan.scenario = Some("Driver sings".into());
    let error = engine.rehearse(plan).await.unwrap_err().to_string();
    assert!(error.contains("no scenario \"Driver sings\"") && error.contains("Driver acknowledges"), "{error}");
}

#[tokio::test]
async fn with_no_model_judge_a_free_text_expectation_is_not_judged_and_does_not_pass() {
    let engine = engine();
    let mut plan = plan(&engine, "Vendor quote", 1);
    let mut suite = engine.agent_suite(plan.agent_id).await.unwrap().suite;
    suite.scenarios[3].expect.judged = vec!["The agent apologises for the mix-up".into()];
    let name = suite.scenarios[3].name.clone();
    engine.save_agent_suite(plan.agent_id, suite).await.unwrap();
    assert!(engine.agent_suite(plan.agent_id).await.unwrap().edited);
    plan.scenario = Some(name);
    let run = engine.rehearse(plan).await.unwrap().remove(0).runs.remove(0);
    assert!(run.checks.iter().all(|check| check.passed));
    assert_eq!(run.judged.len(), 1);
    assert_eq!(run.judged[0].reason, "not judged: this build has no model judge");
    assert!(!run.passed());
}

#[tokio::test]
async fn a_scenario_edited_under_its_name_loses_its_results_and_the_others_keep_theirs() {
    let engine = engine();
    let plan = plan(&engine, "Vendor quote", 1);
    engine.rehearse(plan.clone()).await.unwrap();
    assert!(engine.rehearsal_report(plan.agent_id).await.unwrap().passed());
    let mut suite = engine.agent_suite(plan.agent_id).await.unwrap().suite;
    let edited = suite.scenarios[0].name.clone();
    suite.scenarios[0].expect.must_not_say.push("a phrase no one says".into());
    engine.save_agent_suite(plan.agent_id, suite.clone()).await.unwrap();

    let report = engine.rehearsal_report(plan.agent_id).await.unwrap();
    assert!(!report.passed(), "the edited scenario was not rehearsed as it is now");
    for result in &report.results {
        assert_eq!(result.runs.is_empty(), result.scenario == edited, "{}", result.scenario);
    }
    // Saving it again unchanged keeps what was rehearsed.
    engine.rehearse(RehearsalPlan { scenario: Some(edited), ..plan.clone() }).await.unwrap();
    engine.save_agent_suite(plan.agent_id, suite).await.unwrap();
    assert!(engine.rehearsal_report(plan.agent_id).await.unwrap().passed());
}
