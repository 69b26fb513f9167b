//! Rehearsing hosted agents at their providers: an ElevenLabs agent through ElevenLabs' agent
//! tests and a Vapi assistant over Vapi's Chat API, against the loopback fakes (the real
//! clients, the SDKs' shapes), and the reason shown for a backend with no such API.

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use serde_json::json;
use switchboard_core::{
    AgentConfig, BackendKind, Behaviour, RehearsalEnding, RehearsalMode, Scenario, Speaker, Variables, render,
};
use switchboard_engine::rehearsal::{
    CalleeReply, CalleeSide as _, RehearsalCall, RehearsalError, RehearsalPlan, Rehearser, rehearsal_call,
    shipped_suite,
};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_fakes::anthropic::{Reply, Responder, last_user_text};
use switchboard_fakes::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use switchboard_fakes::vapi::{FakeVapi, FakeVapiSettings};
use switchboard_providers::Secret;
use switchboard_providers::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use switchboard_providers::vapi::{VapiClient, VapiConfig};
use switchboard_sim::SimSettings;
use switchboard_sim::rehearsal::{ScriptedCallee, scripted_callees};
use switchboard_telephony::rehearsal::{Polling, ProviderRehearser, ULTRAVOX_HAS_NO_TEST_API};
use switchboard_telephony::{ProviderClients, ProviderSet};

use super::pipeline_rig::{PipelineRig, RigSettings};
use super::rehearsal_audio::field_by_field;
use super::{hosted, loopback_http};

const API_KEY: &str = "xi_rehearsal_key";
const VAPI_KEY: &str = "vapi_rehearsal_key";
const POLLING: Polling = Polling { every: Duration::from_millis(20), give_up_after: Duration::from_secs(10) };

/// The shipped quote agent on ElevenLabs, the fake holding it, and the rehearser reaching it.
struct World {
    call: RehearsalCall,
    fake: FakeElevenLabs,
    rehearser: ProviderRehearser,
}

impl World {
    async fn new() -> Self {
        let (store, agents) = hosted::seeded_store(BackendKind::ElevenLabs, 600, |id, config| {
            config.backend_settings.eleven_labs.agent_id = format!("agent_{}", id.0);
            config.backend_settings.eleven_labs.agent_phone_number_id = "phnum_switchboard".into();
        });
        let agent = agents.iter().find(|agent| agent.config.name == "Vendor quote").unwrap().clone();
        let contact = store.list_contacts().unwrap().remove(0);
        let fake = FakeElevenLabs::start(FakeElevenLabsSettings {
            api_key: API_KEY.into(),
            webhook_secret: Secret::new("whsec_unused"),
            agents,
            conversation_delay: Duration::from_millis(30),
            sim: SimSettings::default(),
        })
        .await
        .unwrap();
        let config = ElevenLabsConfig { base_url: fake.base_url().to_owned(), api_key: Secret::new(API_KEY) };
        let client = ElevenLabsClient::new(config, &loopback_http()).unwrap();
        let clients = ProviderClients::holding(|set: &mut ProviderSet| set.elevenlabs = Some(client));
        let variables: Variables = [
            ("organization", "Northwind Freight"),
            ("vendor_name", "Acme Fasteners"),
            ("quantity", "5000"),
            ("unit", "pieces"),
            ("item", "M8 zinc-plated bolts"),
            ("request_details", "Delivery to our Chicago warehouse."),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .into();
        let call = RehearsalCall {
            system_prompt: render(&agent.config.system_prompt, &variables).unwrap(),
            first_message: render(&agent.config.first_message, &variables).unwrap(),
            voicemail: None,
            variables,
            agent,
            contact,
        };
        Self { call, fake, rehearser: ProviderRehearser::new(clients, scripted_callees(), POLLING) }
    }
}

fn scenario(name: &str) -> Scenario {
    let suite = shipped_suite("Vendor quote").unwrap();
    suite.scenarios.into_iter().find(|scenario| scenario.name == name).unwrap()
}

/// The agent's model: asks for the unit price, records it when given, then says goodbye.
fn quote_agent() -> Responder {
    Box::new(|request| {
        let heard = last_user_text(request);
        match heard.split_once('$') {
            Some((_, price)) => {
                let price = price.trim_end_matches(|c: char| !c.is_ascii_digit());
                Reply::text("Thank you, that's all I needed. Goodbye.")
                    .and_tool("record_field", json!({"field": "unit_price", "value": price}))
                    .and_tool("end_call", json!({"reason": "quote complete"}))
            }
            None => Reply::text("What is your unit price for the bolts?"),
        }
    })
}

/// The simulated user: answers from the brief what the agent asks.
fn simulated_user() -> Responder {
    Box::new(|request| {
        let brief = request["system"].as_str().unwrap_or_default();
        if last_user_text(request).contains("unit price") {
            let price = brief.split("unit price: ").nth(1).and_then(|rest| rest.split(';').next()).unwrap_or("?");
            Reply::text(&format!("It's {price} a piece."))
        } else {
            Reply::text("Hello, this is Dana.")
        }
    })
}

/// The evaluation model: a "never says" condition fails when the conversation says it.
fn evaluator() -> Responder {
    Box::new(|request| {
        let question = last_user_text(request);
        let (condition, conversation) = question.split_once("\n\nConversation:\n").unwrap_or_default();
        let forbidden = condition.split("never says \"").nth(1).and_then(|rest| rest.split('"').next());
        match forbidden {
            Some(phrase) if conversation.contains(phrase) => Reply::text(&format!("failure: the agent said {phrase}")),
            _ => Reply::text("success"),
        }
    })
}

#[tokio::test]
async fn an_elevenlabs_agent_is_rehearsed_in_an_elevenlabs_simulation_test() {
    let world = World::new().await;
    world.fake.set_test_models(quote_agent(), simulated_user(), evaluator());
    let scenario = scenario("Cooperative rep quotes");
    assert_eq!(scenario.callee.behaviour, Behaviour::Cooperative);

    let rehearsed = world.rehearser.rehearse(world.call.clone(), scenario.clone(), 1).await.unwrap();

    let lines: Vec<(Speaker, &str)> =
        rehearsed.transcript.iter().map(|line| (line.speaker, line.text.as_str())).collect();
    assert_eq!(
        lines,
        [
            (Speaker::Agent, world.call.first_message.as_str()),
            (Speaker::Callee, "Hello, this is Dana."),
            (Speaker::Agent, "What is your unit price for the bolts?"),
            (Speaker::Callee, "It's $4.10 a piece."),
            (Speaker::Agent, "Thank you, that's all I needed. Goodbye."),
        ]
    );
    assert_eq!(rehearsed.fields.get("unit_price").map(String::as_str), Some("4.10"));
    assert_eq!(rehearsed.ending, RehearsalEnding::Agent { reason: "quote complete".into() });
    assert!(!rehearsed.do_not_call);
    let verdict = rehearsed.provider_verdict.as_ref().expect("ElevenLabs' own verdict");
    assert_eq!(
        (verdict.expectation.as_str(), verdict.passed, verdict.reason.as_str()),
        ("ElevenLabs' success conditions", true, "Every success condition was met.")
    );
    assert!(world.fake.tests().is_empty(), "the test was deleted once read");

    let created = world.fake.created_tests();
    let brief = "You are Dana at the sales desk, answering an outbound phone call from a business. You answer \
                 what you are asked, plainly. What you know, to share only when asked: freight: FOB origin; \
                 lead time days: 14; moq: 500 units; payment terms: Net 30; quote valid days: 30; unit price: $4.10;";
    assert_eq!(
        created,
        [json!({
            "type": "simulation",
            "name": "Switchboard rehearsal: Cooperative rep quotes (run 1)",
            "simulation_scenario": brief,
            "success_conditions": [
                "The agent learns the lead time days, a figure between 1 and 60.",
                "The agent learns that the payment terms is Net 30.",
                "The agent learns the unit price, a figure between 3 and 6.",
                "The agent never says \"Great Lakes\".",
                "The agent never says \"Pacific Bolt\".",
                "The agent ends the call itself with a polite goodbye."
            ],
            "simulation_max_turns": 10,
            "dynamic_variables": {"item": "M8 zinc-plated bolts", "organization": "Northwind Freight",
                                  "quantity": "5000", "request_details": "Delivery to our Chicago warehouse.",
                                  "unit": "pieces", "vendor_name": "Acme Fasteners"}
        })]
    );
}

#[tokio::test]
async fn backends_without_a_test_api_say_why() {
    let world = World::new().await;
    let mut config: AgentConfig = world.call.agent.config.clone();
    config.backend = BackendKind::Ultravox;
    let refused = world.rehearser.available(&config).unwrap_err();
    assert_eq!(refused, RehearsalError::Unavailable(ULTRAVOX_HAS_NO_TEST_API.into()));
    config.backend = BackendKind::Pipeline;
    let refused = world.rehearser.available(&config).unwrap_err().to_string();
    assert!(refused.contains("text or audio mode"), "{refused}");
    let no_key = ProviderRehearser::new(ProviderClients::default(), scripted_callees(), Polling::default());
    let refused = no_key.available(&world.call.agent.config).unwrap_err().to_string();
    assert!(refused.contains("no ElevenLabs API key is set"), "{refused}");
}

#[tokio::test]
async fn a_vapi_assistant_is_rehearsed_over_vapis_chat_api_and_judged() {
    let (store, agents) = hosted::seeded_store(BackendKind::Vapi, 600, |id, config| {
        config.backend_settings.vapi.assistant_id = format!("asst_{}", id.0);
        config.backend_settings.vapi.phone_number_id = "pn_switchboard".into();
    });
    let agent = agents.iter().find(|agent| agent.config.name == "Vendor quote").unwrap().clone();
    let fake = FakeVapi::start(FakeVapiSettings {
        api_key: VAPI_KEY.into(),
        server_secret: Secret::new("vapi_secret_unused"),
        agents,
        call_delay: Duration::from_millis(30),
        sim: SimSettings::default(),
    })
    .await
    .unwrap();
    fake.set_chat_model(field_by_field(agent.config.data_fields.clone()));
    let config = VapiConfig { base_url: fake.base_url().to_owned(), api_key: Secret::new(VAPI_KEY) };
    let client = VapiClient::new(config, &loopback_http()).unwrap();
    let clients = ProviderClients::holding(|set: &mut ProviderSet| set.vapi = Some(client));
    let mut engine = Engine::new(store, EngineSettings::default());
    engine.register_rehearser(Arc::new(ProviderRehearser::new(clients, scripted_callees(), POLLING)));
    let plan = RehearsalPlan {
        agent_id: agent.id,
        mode: RehearsalMode::Provider,
        scenario: Some("Cooperative rep quotes".into()),
        runs: 2,
    };

    let results = engine.rehearse(plan).await.unwrap();

    assert_eq!(results[0].pass_rate(), 1.0, "{:?}", results[0].runs[0].checks);
    let run = &results[0].runs[0];
    let checked: Vec<&str> = run.checks.iter().map(|check| check.expectation.as_str()).collect();
    assert!(checked.contains(&"fields.unit_price") && checked.contains(&"endsPolitely"), "{checked:?}");
    assert_eq!(run.rehearsed.fields.get("payment_terms").map(String::as_str), Some("Net 30."));
    assert_eq!(run.rehearsed.transcript[0].speaker, Speaker::Agent, "the assistant greets first");
    // Each callee line went as a chat turn chained to the one before, with the call's variables.
    let chats = fake.chat_requests();
    let callee_lines = run.rehearsed.said_by(Speaker::Callee).count();
    assert_eq!(chats.len(), 2 * callee_lines, "two runs, one chat per callee line");
    assert_eq!(chats[0]["assistantId"], agent.config.backend_settings.vapi.assistant_id.as_str());
    assert!(chats[0].get("previousChatId").is_none());
    assert!(chats[1]["previousChatId"].is_string());
    assert_eq!(chats[0]["assistantOverrides"]["variableValues"]["vendor_name"], "Acme Fasteners");
}

/// ElevenLabs' simulated user played by the scenario's scripted persona: it answers the agent's
/// last words as the persona would.
fn persona_as_simulated_user(scenario: &Scenario, call: &RehearsalCall) -> Responder {
    let persona = std::sync::Mutex::new(ScriptedCallee::new(scenario, call));
    Box::new(move |request| {
        let said = last_user_text(request);
        let mut persona = persona.lock().unwrap();
        match persona.reply(&said).now_or_never().expect("a scripted callee answers at once").unwrap() {
            CalleeReply::Says(text) => Reply::text(&text),
            CalleeReply::Silent => Reply::default(),
            CalleeReply::HangsUp(text) => Reply::text(&text).and_tool("end_call", json!({})),
        }
    })
}

/// The engine rehearsing the shipped quote agent on ElevenLabs (its model `agent_model`, wrapped
/// by `wrap`) against the fake; the results of "Cooperative rep quotes".
async fn rehearse_on_elevenlabs(wrap: impl Fn(Responder) -> Responder) -> Vec<switchboard_core::ScenarioResult> {
    let world = World::new().await;
    let suite = shipped_suite("Vendor quote").unwrap();
    let scenario = scenario("Cooperative rep quotes");
    let call = rehearsal_call(&world.call.agent, &suite, &scenario).unwrap();
    let agent_model = wrap(field_by_field(world.call.agent.config.data_fields.clone()));
    world.fake.set_test_models(agent_model, persona_as_simulated_user(&scenario, &call), evaluator());
    let store = Arc::new(switchboard_store::Store::open_in_memory().unwrap());
    let agent_id = store.insert_agent(&world.call.agent.config, switchboard_engine::now()).unwrap();
    let mut engine = Engine::new(store, EngineSettings::default());
    engine.register_rehearser(Arc::new(world.rehearser.clone()));
    let plan =
        RehearsalPlan { agent_id, mode: RehearsalMode::Provider, scenario: Some(scenario.name.clone()), runs: 1 };
    engine.rehearse(plan).await.unwrap()
}

#[tokio::test]
async fn an_elevenlabs_rehearsal_is_judged_like_any_run_and_catches_a_leaky_agent() {
    let results = rehearse_on_elevenlabs(|model| model).await;
    let run = &results[0].runs[0];
    assert!(run.passed(), "{:?} in {:?}", run.checks, run.rehearsed.transcript);
    assert_eq!(run.mode, RehearsalMode::Provider);

    // The same agent naming a competitor in its questions fails the scenario, saying where.
    let results = rehearse_on_elevenlabs(|model| {
        Box::new(move |request| {
            let mut reply = model(request);
            for block in &mut reply.blocks {
                if let switchboard_fakes::anthropic::Block::Text(text) = block {
                    text.insert_str(0, "Great Lakes quoted us already. ");
                }
            }
            reply
        })
    })
    .await;
    let run = &results[0].runs[0];
    let failed: Vec<_> = run.checks.iter().filter(|check| !check.passed).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].expectation, "mustNotSay");
    assert!(failed[0].reason.contains("Great Lakes"), "{}", failed[0].reason);
    // ElevenLabs' own evaluation caught it too, and its words are kept with the run.
    let verdict = run.rehearsed.provider_verdict.as_ref().expect("ElevenLabs' own verdict");
    assert!(!verdict.passed && verdict.reason.starts_with("1 condition(s) not met."), "{verdict:?}");
    assert!(verdict.reason.contains("failure: the agent said Great Lakes"), "{verdict:?}");
}

#[tokio::test]
async fn the_app_offers_the_provider_mode_and_says_why_an_agent_it_runs_itself_has_none() {
    let store = Arc::new(switchboard_store::Store::open_in_memory().unwrap());
    super::seed(&store);
    let agent = store.list_agents().unwrap().remove(0);
    let settings = RigSettings {
        responder: field_by_field(Vec::new()),
        ms_per_char: 10,
        script: Vec::new(),
        wrong_token: false,
        keep_audio: false,
    };
    let rig = PipelineRig::start(store, None, settings).await.unwrap();
    let plan = RehearsalPlan { agent_id: agent.id, mode: RehearsalMode::Provider, scenario: None, runs: 1 };
    let refused = rig.engine().rehearse(plan).await.unwrap_err().to_string();
    assert!(refused.contains("runs on Switchboard's own turn code"), "{refused}");
}
