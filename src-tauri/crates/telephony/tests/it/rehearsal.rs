//! Text rehearsals through the real engine and store: the speech-gather agent's own turn against
//! the scripted callees, the fake Anthropic playing the model. Every preset's suite passes; a
//! deliberately broken agent fails the matching scenarios with reasons; free-text expectations
//! get the model judge's verdicts with reasons; with no Anthropic key the text mode says why it
//! cannot run.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{AgentId, RehearsalMode, ScenarioResult};
use switchboard_engine::rehearsal::{CalleeFactory, RehearsalPlan};
use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_fakes::anthropic::FakeAnthropic;
use switchboard_fakes::rehearsal_agent;
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::{HttpSettings, RetryPolicy, Secret};
use switchboard_sim::rehearsal::scripted_callees;
use switchboard_store::Store;
use switchboard_telephony::ProviderClients;
use switchboard_telephony::gather::{GatherSettings, TextRehearser};
use switchboard_telephony::model_callee::{CALLEE_PROMPT, model_callees};
use switchboard_telephony::model_judge::ModelJudge;

const ANTHROPIC_KEY: &str = "sk-ant-rehearse";

struct World {
    engine: Engine,
    clients: ProviderClients,
    llm: FakeAnthropic,
}

/// Text rehearsals against the scripted callees.
async fn world() -> World {
    world_with(|_| scripted_callees()).await
}

/// Text rehearsals against the callees `callees` makes with the clients.
async fn world_with(callees: impl FnOnce(&ProviderClients) -> CalleeFactory) -> World {
    let store = Store::open_in_memory().unwrap();
    assert!(seed_once(&store, PRESETS, SAMPLE_CONTACTS).unwrap());
    let llm = FakeAnthropic::start(ANTHROPIC_KEY, rehearsal_agent::responder()).await.unwrap();
    let http = HttpSettings {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 2,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(1),
        },
    };
    let config = AnthropicConfig { base_url: llm.base_url().to_owned(), api_key: Secret::new(ANTHROPIC_KEY) };
    let client = AnthropicClient::new(config, &http).unwrap();
    let clients = ProviderClients::holding(|set| set.anthropic = Some(client));
    let mut engine = Engine::new(Arc::new(store), EngineSettings::default());
    engine.register_rehearser(Arc::new(TextRehearser::new(
        clients.clone(),
        callees(&clients),
        GatherSettings::default(),
    )));
    engine.register_judge(Arc::new(ModelJudge::new(clients.clone())));
    World { engine, clients, llm }
}

fn agent(engine: &Engine, name: &str) -> AgentId {
    engine.store().list_agents().unwrap().into_iter().find(|a| a.config.name == name).unwrap().id
}

fn text(agent_id: AgentId) -> RehearsalPlan {
    RehearsalPlan { agent_id, mode: RehearsalMode::Text, scenario: None, runs: 1 }
}

fn failed_scenarios(results: &[ScenarioResult]) -> Vec<&str> {
    results.iter().filter(|result| !result.passed()).map(|result| result.scenario.as_str()).collect()
}

#[tokio::test]
async fn every_presets_suite_passes_in_text_mode_against_the_fake_anthropic() {
    let world = world().await;
    for preset in ["Vendor quote", "Vendor negotiation", "Driver violation caller", "Appointment reminder"] {
        let results = world.engine.rehearse(text(agent(&world.engine, preset))).await.unwrap();
        assert!(results.len() >= 6, "{preset}");
        assert_eq!(ScenarioResult::failures(&results), Vec::<String>::new(), "{preset}");
    }
}

#[tokio::test]
async fn every_presets_suite_passes_against_callees_the_model_plays_from_their_brief() {
    let world = world_with(|clients| model_callees(clients.clone(), scripted_callees())).await;
    for preset in ["Vendor quote", "Vendor negotiation", "Driver violation caller", "Appointment reminder"] {
        let results = world.engine.rehearse(text(agent(&world.engine, preset))).await.unwrap();
        assert_eq!(ScenarioResult::failures(&results), Vec::<String>::new(), "{preset}");
    }
    let briefs: Vec<String> = world
        .llm
        .requests()
        .iter()
        .filter_map(|request| {
            request["system"].as_str().filter(|system| system.starts_with(CALLEE_PROMPT)).map(str::to_owned)
        })
        .collect();
    assert!(!briefs.is_empty(), "the model played the callees");
    let haggler =
        briefs.iter().find(|brief| brief.contains("Who you are: Dana, who holds her price until pressed")).unwrap();
    assert!(haggler.contains("How you behave: haggler: ") && haggler.contains("- floor_price: $4.15\n"), "{haggler}");
    assert!(haggler.contains("What the caller may ask for:\n- unit_price: "), "{haggler}");
    assert!(!briefs.iter().any(|brief| brief.contains("How you behave: voicemail")), "a machine stays scripted");
}

/// Rehearses the preset `name` changed by `change` (the same name keeps its shipped suite).
async fn broken(
    world: &World,
    name: &str,
    change: impl FnOnce(&mut switchboard_core::AgentConfig),
) -> Vec<ScenarioResult> {
    let id = agent(&world.engine, name);
    let mut config = world.engine.store().agent(id).unwrap().unwrap().config;
    change(&mut config);
    world.engine.store().update_agent(id, &config).unwrap();
    world.engine.rehearse(text(id)).await.unwrap()
}

#[tokio::test]
async fn an_agent_with_no_unit_price_to_collect_fails_the_quote_scenarios() {
    let world = world().await;
    let results =
        broken(&world, "Vendor quote", |config| config.data_fields.retain(|field| field.key != "unit_price")).await;
    assert_eq!(
        failed_scenarios(&results),
        ["Cooperative rep quotes", "Evasive rep answers when asked again", "Phone menu wants a digit"]
    );
    for failure in ScenarioResult::failures(&results) {
        assert!(failure.ends_with("fields.unit_price: not collected"), "{failure}");
    }
}

#[tokio::test]
async fn a_prompt_that_reveals_a_competitors_name_fails_where_names_are_forbidden() {
    let world = world().await;
    let results = broken(&world, "Vendor quote", |config| {
        config.system_prompt.push_str(" Mention that Great Lakes Industrial Supply offered us a lower price.");
    })
    .await;
    assert_eq!(failed_scenarios(&results), ["Cooperative rep quotes", "Evasive rep answers when asked again"]);
    for failure in ScenarioResult::failures(&results) {
        assert!(
            failure.contains(
                "/ mustNotSay: said \"Great Lakes\": \"Great Lakes Industrial Supply offered us a lower price."
            ),
            "{failure}"
        );
    }
}

#[tokio::test]
async fn an_agent_that_ignores_take_me_off_your_list_fails_do_not_call() {
    let world = world().await;
    let results = broken(&world, "Appointment reminder", |config| {
        config.system_prompt.push_str(" Never end the call before every field is collected.");
    })
    .await;
    let opted_out = results.iter().find(|result| result.scenario == "Take me off your list").unwrap();
    assert!(!opted_out.passed());
    let check = opted_out.runs[0].checks.iter().find(|check| check.expectation == "respectsDoNotCall").unwrap();
    assert!(!check.passed && check.reason.starts_with("the agent went on after being asked to stop"), "{check:?}");
}

#[tokio::test]
async fn with_no_anthropic_key_text_rehearsals_say_why_and_store_nothing() {
    let world = world().await;
    world.clients.update(|set| set.anthropic = None);
    let id = agent(&world.engine, "Vendor quote");
    let error = world.engine.rehearse(text(id)).await.unwrap_err().to_string();
    assert!(error.contains("need an Anthropic API key"), "{error}");
    assert!(world.engine.rehearsal_report(id).await.unwrap().results.iter().all(|result| result.runs.is_empty()));
}

#[tokio::test]
async fn free_text_expectations_get_the_model_judges_verdicts_with_reasons() {
    let world = world().await;
    let id = agent(&world.engine, "Appointment reminder");
    let mut suite = world.engine.agent_suite(id).await.unwrap().suite;
    let voicemail = suite.scenarios.iter_mut().find(|scenario| scenario.name == "Voicemail greeting").unwrap();
    voicemail.expect.judged =
        vec!["The message asks them to \"call us back\"".into(), "It says \"see you Tuesday\"".into()];
    world.engine.save_agent_suite(id, suite).await.unwrap();
    let mut plan = text(id);
    plan.scenario = Some("Voicemail greeting".into());
    let results = world.engine.rehearse(plan).await.unwrap();
    let run = &results[0].runs[0];
    assert!(run.checks.iter().all(|check| check.passed), "{:?}", run.checks);
    let verdicts: Vec<(bool, &str)> = run.judged.iter().map(|v| (v.passed, v.reason.as_str())).collect();
    assert_eq!(
        verdicts,
        [
            (
                true,
                "the agent said \"call us back\": \"Hi Jordan Reyes, Northwind Freight calling to confirm your delivery window on Tuesday, 9 to 11 am. Please call us back if anything has changed.\""
            ),
            (false, "the agent never said \"see you tuesday\""),
        ]
    );
    assert!(!run.passed(), "a failed verdict fails the run");
}
