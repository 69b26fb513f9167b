//! Speech-gather calls end to end: the real engine, Twilio dialer, listener (signature checks
//! included), store and Anthropic client; the fake Twilio placing each call (status and AMD
//! callbacks) and handing it to a driver that runs its `<Gather>` turns with the simulator's
//! vendor personas, and a loopback Anthropic playing the quote agent.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{ActionStatus, AgentId, BackendKind, CallId, CallState, CallSummary, ControlAction, Speaker};
use switchboard_engine::settings::DISPATCHER_PHONE;
use switchboard_engine::{CallReports, Engine, EngineSettings, LiveCalls, TAKEN_OVER};
use switchboard_fakes::anthropic::FakeAnthropic;
use switchboard_fakes::quote_agent::QuoteAgent;
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings};
use switchboard_fakes::twilio_gather::twiml::{Verb, parse};
use switchboard_fakes::twilio_gather::{Callee, GatherDriver, Hangup, PlacedGatherCall, ScriptedCallee, VendorCallee};
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::signature::TwilioWebhookKey;
use switchboard_providers::{HttpSettings, RetryPolicy, Secret};
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::Store;
use switchboard_telephony::backends::twilio::{TwilioDialer, TwilioDialerSettings};
use switchboard_telephony::gather::{GatherBackend, GatherCalls, GatherSettings};
use switchboard_telephony::listener::{
    ListenerSettings, ListenerState, TWILIO_VOICE_PATH, WebhookRoute, WebhookSecrets, serve, spawn_inbox_processor,
};

use super::hosted;

const ACCOUNT: &str = "AC00000000000000000000000000000gather";
const AUTH_TOKEN: &str = "twilio_auth_token_test";
pub(super) const FROM: &str = "+13125550000";
const ANTHROPIC_KEY: &str = "sk-ant-test";
/// Where Twilio reaches the listener (a tunnel's address); the driver forwards to loopback.
pub(super) const PUBLIC: &str = "https://switchboard.example.test";
const TRANSFER_TO: &str = "+13125550100";
pub(super) const SIM: SimSettings =
    SimSettings { time_scale: 1.0, seed: 0x5157_4348, cast: Cast::Cooperative, record: false };

/// The engine on the gather backend, its listener and the fakes, over `store`; the dialer
/// reconciles (when its reconciler is started) as [`hosted::RECONCILE`] says.
pub(super) struct World {
    pub(super) engine: Arc<Engine>,
    pub(super) twilio: FakeTwilio,
    llm: FakeAnthropic,
    local: String,
    pub(super) dialer: TwilioDialer,
    pub(super) reports: CallReports,
}

impl World {
    pub(super) async fn new(store: &Arc<Store>, reply_wait: Duration) -> Self {
        let vendors = store.list_contacts().unwrap();
        let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
        let llm =
            FakeAnthropic::start(ANTHROPIC_KEY, QuoteAgent::new(&agent, &vendors, &SIM).responder()).await.unwrap();
        let mut engine = Engine::new(Arc::clone(store), EngineSettings::default());
        let http = HttpSettings {
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 3,
                initial_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
                max_retry_after: Duration::from_secs(2),
            },
        };
        let config = AnthropicConfig { base_url: llm.base_url().to_owned(), api_key: Secret::new(ANTHROPIC_KEY) };
        let client = AnthropicClient::new(config, &http).unwrap();
        let twilio = FakeTwilio::start(FakeTwilioSettings {
            account_sid: ACCOUNT.into(),
            auth_token: Secret::new(AUTH_TOKEN),
            ring_time: Duration::from_millis(10),
            sim: SIM,
            machines: Vec::new(),
        })
        .await
        .unwrap();
        twilio.hand_off();
        let live = LiveCalls::default();
        let dialer = TwilioDialer::new(
            twilio.client(&http).unwrap(),
            Arc::clone(store),
            live.clone(),
            TwilioDialerSettings {
                from_number: FROM.into(),
                public_base_url: PUBLIC.into(),
                reconcile: hosted::RECONCILE,
            },
        );
        let reports = CallReports::new(Arc::clone(store), engine.bus().clone(), live.clone(), None);
        let settings = GatherSettings { reply_wait, ..GatherSettings::default() };
        let calls = GatherCalls::new(Arc::clone(store), reports.clone(), client, PUBLIC, settings);
        let secrets = WebhookSecrets { twilio_auth_token: Some(Secret::new(AUTH_TOKEN)), ..WebhookSecrets::default() };
        let state = ListenerState::new(Arc::clone(store), engine.bus().clone(), secrets, ListenerSettings::new(PUBLIC))
            .with_live_calls(live, None)
            .with_twilio(dialer.clone())
            .with_gather(calls.clone());
        let state = Arc::new(state);
        let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), Arc::clone(&state)).await.unwrap();
        spawn_inbox_processor(state);
        twilio.tunnel(PUBLIC, &format!("http://{bound}"));
        engine.register_backend(Arc::new(GatherBackend::new(calls, dialer.clone())));
        Self { engine: Arc::new(engine), twilio, llm, local: format!("http://{bound}"), dialer, reports }
    }

    /// Places a quote call to `vendor`; returns it as the fake Twilio has it, and its driver.
    pub(super) async fn call(&self, vendor: &str) -> (CallId, PlacedGatherCall, GatherDriver) {
        let store = self.engine.store();
        let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == vendor).unwrap();
        let agent = store.agent(quote_agent(store)).unwrap().unwrap();
        let call = self.engine.start_quote_call(contact.id, agent.id, &crate::quote_request()).await.unwrap();
        let answered = self.twilio.next_answered().await.expect("the call is placed and answered");
        let placed =
            PlacedGatherCall::new(answered, contact, agent.config.data_fields).expect("placed with a voice URL");
        assert!(placed.voice_url.ends_with(&format!("?call={}", call.id.0)), "{}", placed.voice_url);
        let driver = GatherDriver::new(&placed, AUTH_TOKEN, PUBLIC, &self.local);
        (call.id, placed, driver)
    }
}

/// A store with the shipped agents (the quote agent on the gather backend, with a transfer
/// number) and the sample vendors.
pub(super) fn store_at(path: Option<&std::path::Path>) -> Arc<Store> {
    let store = Arc::new(path.map_or_else(Store::open_in_memory, Store::open).unwrap());
    super::seed(&store);
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.backend = BackendKind::Gather;
    agent.config.transfer_to = TRANSFER_TO.into();
    store.update_agent(agent.id, &agent.config).unwrap();
    store
}

fn quote_agent(store: &Store) -> AgentId {
    store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id
}

/// Waits for `call` to end in the store.
pub(super) async fn ended(store: &Store, call: CallId) -> CallSummary {
    for _ in 0..200 {
        let summary = store.call(call).unwrap().unwrap();
        if summary.state.is_terminal() {
            return summary;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("call {call} did not end: {:?}", store.call(call).unwrap());
}

/// Waits for `call` to have `lines` transcript lines stored.
async fn transcript_reaches(store: &Store, call: CallId, lines: usize) {
    for _ in 0..200 {
        if store.transcript(call).unwrap().len() == lines {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("call {call} never had {lines} lines: {:?}", store.transcript(call).unwrap());
}

/// The transcript alternates agent, callee, agent… from line 0 with no gap, and is exactly what
/// the driver heard (agent) and said (callee).
fn assert_transcript_is_the_call(store: &Store, call: CallId, driver: &GatherDriver, said: &[String]) {
    let transcript = store.transcript(call).unwrap();
    for (i, line) in transcript.iter().enumerate() {
        assert_eq!(line.seq as usize, i, "{transcript:#?}");
    }
    let agent: Vec<&str> = transcript.iter().filter(|l| l.speaker == Speaker::Agent).map(|l| l.text.as_str()).collect();
    let callee: Vec<&str> =
        transcript.iter().filter(|l| l.speaker == Speaker::Callee).map(|l| l.text.as_str()).collect();
    let heard: Vec<&str> =
        driver.heard.iter().map(String::as_str).filter(|text| *text != "One moment, please.").collect();
    assert_eq!(agent, heard, "the agent's lines are what Twilio said");
    assert_eq!(callee, said.iter().map(String::as_str).collect::<Vec<_>>(), "the callee's lines are what was said");
    assert!(transcript.windows(2).all(|w| w[1].offset_ms >= w[0].offset_ms), "call time moves forward");
}

/// A callee that keeps what it said.
struct Recording<C> {
    callee: C,
    said: Vec<String>,
}

impl<C: Callee> Callee for Recording<C> {
    fn reply(&mut self, agent_said: &str) -> Option<String> {
        let reply = self.callee.reply(agent_said);
        self.said.extend(reply.clone());
        reply
    }
}

fn recording<C: Callee>(callee: C) -> Recording<C> {
    Recording { callee, said: Vec::new() }
}

#[tokio::test]
async fn a_gather_quote_call_collects_the_quote_and_the_next_call_remembers_it() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Pacific Bolt & Nut").await;
    assert_eq!(placed.voice_url, format!("{PUBLIC}{TWILIO_VOICE_PATH}?call={}", call.0));
    let mut callee = recording(VendorCallee::new(&placed, &SIM));
    assert_eq!(driver.run(&mut callee, 40).await, Some(Hangup::HungUp));

    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Completed, "{summary:?}");
    assert!(summary.answered_at.is_some());
    let mut times = driver.answer_times.clone();
    times.sort();
    eprintln!(
        "gather requests answered in {:?} median, {:?} at most ({} requests, model fake without latency)",
        times[times.len() / 2],
        times.last().unwrap(),
        times.len()
    );
    assert!(*times.last().unwrap() < Duration::from_secs(2), "{times:?}");
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);

    // The opening: the first message said in the agent's voice and language inside a speech
    // <Gather> posting back to this call's gather URL.
    let first = &driver.documents[0];
    let action = format!("action=\"{PUBLIC}/twilio/gather?call={}\"", call.0);
    assert!(first.contains("<Gather input=\"speech\"") && first.contains(&action), "{first}");
    assert!(first.contains("speechTimeout=\"auto\"") && first.contains("language=\"en-US\""), "{first}");
    assert!(
        first.contains("<Say voice=\"Polly.Joanna\" language=\"en-US\">Hi, I&apos;m calling for Northwind Freight")
            || first.contains("<Say voice=\"Polly.Joanna\" language=\"en-US\">Hi, I'm calling for Northwind Freight"),
        "{first}"
    );
    assert!(driver.documents.last().unwrap().contains("<Hangup/>"));

    // Every field asked and recorded: a full offer, at the price the vendor said.
    let offer = store.offer(call).unwrap().expect("an offer");
    assert_eq!(offer.confidence, 1.0, "{offer:?}");
    let price = offer.unit_price.unwrap();
    assert!(callee.said.iter().any(|line| line.contains(&format!("${price:.2} per unit"))), "{:?}", callee.said);
    // Required fields were asked first.
    let asked: Vec<&String> = driver.heard.iter().filter(|line| line.starts_with("Could you tell me")).collect();
    assert!(asked[0].contains("unit price") && asked[1].contains("lead time"), "{asked:?}");

    // Its price, from what it used: one started Twilio minute and its recording, each model
    // request's 120 input tokens as its stream reported them, and every character <Say> spoke.
    let priced = store.call_price(call).unwrap().expect("priced with its end");
    assert!(!priced.estimate);
    let item = |name: &str| priced.items.iter().find(|i| i.item == name).cloned().unwrap_or_else(|| panic!("{name}"));
    assert_eq!((item("Twilio minutes").quantity, item("Twilio recording").quantity), (1.0, 1.0));
    let requests = world.llm.requests().len() as f64;
    let input = item("Anthropic input tokens").quantity;
    assert!(
        (input - requests * f64::from(switchboard_fakes::anthropic::INPUT_TOKENS) / 1e6).abs() < 1e-12,
        "{priced:?}"
    );
    let said: usize = store
        .transcript(call)
        .unwrap()
        .iter()
        .filter(|line| line.speaker == switchboard_core::Speaker::Agent)
        .map(|line| line.text.chars().count())
        .sum();
    assert!((item("Twilio <Say> characters").quantity - said as f64 / 100.0).abs() < 1e-9, "{said}: {priced:?}");
    let session = store.gather_session(call).unwrap().unwrap();
    assert_eq!(session.call_sid.as_deref(), Some(placed.call_sid.as_str()));
    assert!(session.state.contains("\"ended\":\"the quote is complete\""), "{}", session.state);

    // The model saw the rendered prompt and the tools; a second call with the vendor carries the
    // first one in its prompt.
    let first_request = &world.llm.requests()[0];
    assert!(first_request["system"].as_str().unwrap().contains("calling Pacific Bolt & Nut"), "{first_request}");
    let tools: Vec<&str> =
        first_request["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tools, ["end_call", "transfer_call", "record_field"]);
    let before = world.llm.requests().len();
    let (second, placed, mut driver) = world.call("Pacific Bolt & Nut").await;
    driver.run(&mut VendorCallee::new(&placed, &SIM), 40).await;
    assert_eq!(ended(&store, second).await.state, CallState::Completed);
    let system = world.llm.requests()[before]["system"].as_str().unwrap().to_owned();
    assert!(system.contains("Earlier calls with Pacific Bolt & Nut"), "{system}");
    assert!(system.contains(&format!("{price:.2}")), "the earlier quote is in the context: {system}");
}

#[test]
fn a_restart_mid_call_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(Some(&dir.path().join("db.sqlite3")));
    // First run: the call is answered and two turns go by; then the app is killed.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (call, placed, mut driver, mut callee) = runtime.block_on(async {
        let world = World::new(&store, Duration::from_secs(5)).await;
        let (call, placed, mut driver) = world.call("Acme Fasteners").await;
        let mut callee = recording(VendorCallee::new(&placed, &SIM));
        for _ in 0..3 {
            assert_eq!(driver.step(&mut callee).await, None);
        }
        (call, placed, driver, callee)
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    // The session holds every turn (opening, greeting, question, price, question) however many
    // lines the killed call task had stored.
    let session = store.gather_session(call).unwrap().unwrap();
    assert_eq!(session.state.matches("\"speaker\":").count(), 5, "{}", session.state);
    let stored_at_kill = store.transcript(call).unwrap().len();
    assert!(stored_at_kill <= 5);
    eprintln!("{stored_at_kill} of 5 lines stored when the app was killed; the rest come from the session");

    // Second run: a new engine and listener over the same file; Twilio posts what it heard next.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let world = World::new(&store, Duration::from_secs(5)).await;
        assert_eq!(world.engine.close_abandoned_calls().await.unwrap(), 0, "the gather call stays open");
        assert!(!store.call(call).unwrap().unwrap().state.is_terminal());
        driver.set_local_base_url(&world.local);
        assert_eq!(driver.run(&mut callee, 40).await, Some(Hangup::HungUp));
        let summary = ended(&store, call).await;
        assert_eq!(summary.state, CallState::Completed, "{summary:?}");
        assert_transcript_is_the_call(&store, call, &driver, &callee.said);
        assert_eq!(store.offer(call).unwrap().unwrap().confidence, 1.0);
        // The model was given the whole conversation from before the restart.
        let first = &world.llm.requests()[0];
        let messages = first["messages"].to_string();
        assert!(messages.contains(&callee.said[1]), "the price given before the restart: {messages}");
        assert!(first["system"].as_str().unwrap().contains("Already collected:\n- unit_price:"), "{first}");
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(placed);
}

#[tokio::test]
async fn silence_is_re_prompted_once_then_the_call_ends_politely() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let greeting = VendorCallee::new(&placed, &SIM).reply("").unwrap();
    let mut callee = recording(ScriptedCallee::new([Some(greeting.as_str()), None, None]));
    assert_eq!(driver.run(&mut callee, 10).await, Some(Hangup::HungUp));
    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Completed);
    assert_eq!(summary.end_reason.as_deref(), Some("the callee said nothing after 1 re-prompt"));
    let heard = &driver.heard;
    assert!(heard[2].starts_with("Sorry, I didn't catch that. Could you tell me the unit price"), "{heard:?}");
    assert!(heard[3].starts_with("I haven't been able to hear you"), "{heard:?}");
    assert_eq!(heard.len(), 4);
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
    assert_eq!(world.llm.requests().len(), 1, "silence does not go to the model");
}

#[tokio::test]
async fn a_goodbye_gets_a_short_closing_and_the_call_ends() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let greeting = VendorCallee::new(&placed, &SIM).reply("").unwrap();
    let mut callee = recording(ScriptedCallee::new([Some(greeting.as_str()), Some("Sorry, I have to go. Bye.")]));
    assert_eq!(driver.run(&mut callee, 10).await, Some(Hangup::HungUp));
    let summary = ended(&store, call).await;
    assert_eq!((summary.state, summary.end_reason.as_deref()), (CallState::Completed, Some("the callee said goodbye")));
    assert_eq!(driver.heard.last().unwrap(), "Thank you for your time. Goodbye.");
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
    assert_eq!(world.llm.requests().len(), 1, "the goodbye is answered without the model");
    assert!(store.offer(call).unwrap().is_none());
}

#[tokio::test]
async fn asking_for_a_person_transfers_the_call_with_dial() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let greeting = VendorCallee::new(&placed, &SIM).reply("").unwrap();
    let mut callee =
        recording(ScriptedCallee::new([Some(greeting.as_str()), Some("Can I talk to a person about this?")]));
    assert_eq!(driver.run(&mut callee, 10).await, Some(Hangup::Dialed(TRANSFER_TO.into())));
    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Completed);
    let reason = summary.end_reason.unwrap();
    assert!(reason.starts_with(&format!("transferred to {TRANSFER_TO}")), "{reason}");
    assert!(driver.documents.last().unwrap().contains(&format!("<Dial><Number>{TRANSFER_TO}</Number></Dial>")));
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
}

#[tokio::test]
async fn forged_and_foreign_gather_requests_are_refused() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = VendorCallee::new(&placed, &SIM);
    // Twilio asking the voice URL without the call's id: the call is known by the Call SID the
    // dialer recorded. Asked again (with the id), the opening is the same and said once.
    let genuine = TwilioWebhookKey::new(Secret::new(AUTH_TOKEN));
    let bare_voice = format!("{PUBLIC}{TWILIO_VOICE_PATH}");
    let (status, opening) = driver.post(&bare_voice, &driver.params(), &genuine).await.unwrap();
    assert_eq!(status, 200, "{opening}");
    driver.step(&mut callee).await;
    assert_eq!(driver.documents, [opening]);
    let action = driver.next_url().unwrap().to_owned();
    assert_eq!(action, format!("{PUBLIC}/twilio/gather?call={}", call.0));
    transcript_reaches(&store, call, 1).await;
    let session = store.gather_session(call).unwrap().unwrap();

    // Signed with another token.
    let forged = TwilioWebhookKey::new(Secret::new("not the auth token"));
    let mut params = driver.params();
    params.push(("SpeechResult".into(), "Our price is one cent.".into()));
    assert_eq!(driver.post(&action, &params, &forged).await.unwrap().0, 403);
    // Properly signed, but from another call than the one the session is bound to.
    let foreign: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| (name.clone(), if name == "CallSid" { "CAother".into() } else { value.clone() }))
        .collect();
    assert_eq!(driver.post(&action, &foreign, &genuine).await.unwrap().0, 403);
    // A call that is not a gather call.
    let elsewhere = action.replace(&format!("call={}", call.0), "call=999");
    assert_eq!(driver.post(&elsewhere, &params, &genuine).await.unwrap().0, 404);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(store.transcript(call).unwrap().len(), 1, "nothing reached the call");
    assert_eq!(store.gather_session(call).unwrap().unwrap(), session, "nor its session");
    assert!(world.llm.requests().is_empty());

    // The genuine call carries on.
    assert_eq!(driver.run(&mut callee, 40).await, Some(Hangup::HungUp));
    assert_eq!(ended(&store, call).await.state, CallState::Completed);
}

#[tokio::test]
async fn a_model_outage_ends_the_call_politely_with_the_reason() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    world.llm.fail_next(500, 1000);
    let mut callee = recording(VendorCallee::new(&placed, &SIM));
    assert_eq!(driver.run(&mut callee, 10).await, Some(Hangup::HungUp));
    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Failed);
    let reason = summary.end_reason.unwrap();
    assert!(reason.starts_with("the language model failed: Anthropic answered HTTP 500"), "{reason}");
    assert!(driver.heard.last().unwrap().starts_with("I'm sorry, I'm having technical trouble"));
    assert_eq!(world.llm.requests().len(), 3, "retried as the client's policy says, then given up");
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
}

#[tokio::test]
async fn a_slow_model_has_the_callee_hold_on_once_and_a_second_delay_ends_the_call() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_millis(400)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = recording(VendorCallee::new(&placed, &SIM));
    driver.step(&mut callee).await;
    world.llm.set_latency(Duration::from_millis(900), Duration::ZERO);
    driver.step(&mut callee).await;
    let hold = driver.documents.last().unwrap();
    assert!(hold.contains("One moment, please.") && hold.contains("<Redirect>"), "{hold}");
    // The model is quick again: the redirect gets the reply to what the callee said.
    world.llm.set_latency(Duration::ZERO, Duration::ZERO);
    driver.step(&mut callee).await;
    assert!(driver.heard.last().unwrap().starts_with("Could you tell me the unit price"), "{:?}", driver.heard);
    // Slow twice in a row: the call ends with the reason.
    world.llm.set_latency(Duration::from_millis(900), Duration::ZERO);
    assert_eq!(driver.run(&mut callee, 10).await, Some(Hangup::HungUp));
    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Failed);
    assert_eq!(summary.end_reason.as_deref(), Some("the language model did not answer within 0.4 s, twice"));
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
}

#[tokio::test]
async fn a_call_twilio_reports_over_is_hung_up_on_a_late_gather_result() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = VendorCallee::new(&placed, &SIM);
    driver.step(&mut callee).await;
    transcript_reaches(&store, call, 1).await;
    // The callee hangs up: Twilio's signed status callback goes through the inbox.
    let genuine = TwilioWebhookKey::new(Secret::new(AUTH_TOKEN));
    let mut status = driver.params();
    status.retain(|(name, _)| name != "CallStatus");
    status.extend(
        [("CallStatus", "completed"), ("CallDuration", "7"), ("SequenceNumber", "3")]
            .map(|(n, v)| (n.into(), v.into())),
    );
    let status_url = format!("{PUBLIC}{}", WebhookRoute::TwilioStatus.path());
    assert_eq!(driver.post(&status_url, &status, &genuine).await.unwrap().0, 200);
    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Completed);
    // A gather result arriving after that is answered with a hang-up and changes nothing.
    assert_eq!(driver.run(&mut callee, 5).await, Some(Hangup::HungUp));
    let last = driver.documents.last().unwrap();
    assert!(last.ends_with("?><Response><Hangup/></Response>"), "a hang-up alone: {last}");
    assert_eq!(store.transcript(call).unwrap().len(), 1);
    assert!(world.llm.requests().is_empty());
}

#[tokio::test]
async fn a_busy_model_is_retried_and_a_broken_stream_ends_the_call_with_why() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = recording(VendorCallee::new(&placed, &SIM));
    driver.step(&mut callee).await;
    // Overloaded twice: the client tries again and the turn lands.
    world.llm.fail_next(529, 2);
    driver.step(&mut callee).await;
    assert!(driver.heard.last().unwrap().starts_with("Could you tell me the unit price"), "{:?}", driver.heard);
    assert_eq!(world.llm.requests().len(), 3);
    // A stream that breaks once it has begun is not resent: the call ends, saying why.
    world.llm.error_mid_stream_next(1);
    assert_eq!(driver.run(&mut callee, 5).await, Some(Hangup::HungUp));
    let summary = ended(&store, call).await;
    assert_eq!(summary.state, CallState::Failed);
    let reason = summary.end_reason.unwrap();
    assert!(reason.starts_with("the language model failed: Anthropic reported an error mid-stream"), "{reason}");
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
}

#[tokio::test]
async fn a_call_past_the_agents_max_duration_is_wrapped_up() {
    let store = store_at(None);
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.max_duration_secs = 1;
    store.update_agent(agent.id, &agent.config).unwrap();
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = recording(VendorCallee::new(&placed, &SIM));
    driver.step(&mut callee).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(driver.run(&mut callee, 5).await, Some(Hangup::HungUp));
    let summary = ended(&store, call).await;
    assert_eq!(summary.end_reason.as_deref(), Some("the call reached the agent's max duration"));
    assert!(driver.heard.last().unwrap().starts_with("I'm afraid I have to wrap up"));
    assert!(world.llm.requests().is_empty());
    assert_transcript_is_the_call(&store, call, &driver, &callee.said);
}

#[tokio::test]
async fn a_gather_result_sent_twice_at_once_is_one_turn() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = VendorCallee::new(&placed, &SIM);
    driver.step(&mut callee).await;
    let action = driver.next_url().unwrap().to_owned();
    let mut params = driver.params();
    params.push(("SpeechResult".into(), callee.reply("").unwrap()));
    world.llm.set_latency(Duration::from_millis(300), Duration::ZERO);
    let genuine = TwilioWebhookKey::new(Secret::new(AUTH_TOKEN));
    let first = driver.post(&action, &params, &genuine);
    let again = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        driver.post(&action, &params, &genuine).await
    };
    let (first, again) = tokio::join!(first, again);
    let mut statuses = [first.unwrap().0, again.unwrap().0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    transcript_reaches(&store, call, 3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let transcript = store.transcript(call).unwrap();
    let speakers: Vec<Speaker> = transcript.iter().map(|line| line.speaker).collect();
    assert_eq!(speakers, [Speaker::Agent, Speaker::Callee, Speaker::Agent], "{transcript:#?}");
}

#[tokio::test]
async fn calls_to_every_dialable_vendor_at_once_keep_to_their_own_sessions() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let contacts = store.list_contacts().unwrap();
    let names: Vec<String> = contacts.into_iter().filter(|c| c.phone_e164.is_some()).map(|c| c.fields.name).collect();
    assert!(names.len() >= 4, "{names:?}");
    let mut running = Vec::new();
    for name in &names {
        let (call, placed, mut driver) = world.call(name).await;
        running.push(tokio::spawn(async move {
            let mut callee = recording(VendorCallee::new(&placed, &SIM));
            let ended = driver.run(&mut callee, 40).await;
            (call, driver, callee.said, ended)
        }));
    }
    for task in running {
        let (call, driver, said, how) = task.await.unwrap();
        assert_eq!(how, Some(Hangup::HungUp));
        assert_eq!(ended(&store, call).await.state, CallState::Completed);
        assert_transcript_is_the_call(&store, call, &driver, &said);
        let offer = store.offer(call).unwrap().unwrap();
        assert_eq!(offer.confidence, 1.0);
        let price = format!("${:.2} per unit", offer.unit_price.unwrap());
        assert!(said.iter().any(|line| line.contains(&price)), "{call}: {price} in {said:?}");
    }
}

#[tokio::test]
async fn the_dispatcher_ending_a_campaigns_gather_call_hangs_it_up_on_twilio() {
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let acme = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let spec = super::quote_campaign("gather", quote_agent(&store), None, vec![acme.id], 1);
    super::campaign_call_ended_by_dispatcher(&world.engine, spec).await;
    let answered = world.twilio.next_answered().await.expect("the call was placed");
    super::assert_hung_up_once(&world.twilio, &answered.call_sid).await;
}

#[tokio::test]
async fn the_dispatcher_steers_a_gather_call_has_a_line_said_then_takes_it_over_on_their_phone() {
    const NOTE: &str = "Ask whether freight is included.";
    const LINE: &str = "My colleague is checking the stock.";
    const DISPATCHER: &str = "+13125550199";
    let store = store_at(None);
    let world = World::new(&store, Duration::from_secs(5)).await;
    let (call, placed, mut driver) = world.call("Pacific Bolt & Nut").await;
    let mut callee = VendorCallee::new(&placed, &SIM);
    assert_eq!(driver.step(&mut callee).await, None, "the opening");

    let engine = &world.engine;
    let steered = engine.control_call(call, ControlAction::Steer, NOTE).await.unwrap();
    let said = engine.control_call(call, ControlAction::Say, LINE).await.unwrap();
    assert_eq!((steered.status, said.status), (ActionStatus::Done, ActionStatus::Done), "{said:?}");
    assert_eq!(driver.step(&mut callee).await, None, "the callee answers, the agent asks on");
    // The model's next request carries the note; the agent's next <Say> opens with the line.
    let system = world.llm.requests().last().unwrap()["system"].as_str().unwrap().to_owned();
    assert!(system.contains(&format!("A note from the dispatcher, to follow from now on: {NOTE}")), "{system}");
    let next = driver.heard.last().unwrap();
    assert!(next.starts_with(LINE) && next.len() > LINE.len(), "{next}");
    let kept = || store.transcript(call).unwrap().iter().any(|line| line.text.starts_with(LINE));
    for _ in 0..100 {
        if kept() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(kept(), "{:?}", store.transcript(call).unwrap());

    store.set_setting(DISPATCHER_PHONE, DISPATCHER).unwrap();
    let taken = engine.control_call(call, ControlAction::TakeOver, "").await.unwrap();
    assert_eq!(taken.status, ActionStatus::Done, "{taken:?}");
    let summary = ended(&store, call).await;
    assert_eq!((summary.state, summary.end_reason.as_deref()), (CallState::Completed, Some(TAKEN_OVER)));
    let updates = world.twilio.updates();
    let [(sid, form)] = updates.as_slice() else { panic!("one redirect: {updates:?}") };
    assert_eq!(sid, &placed.call_sid);
    let twiml = form.iter().find(|(key, _)| key == "Twiml").map(|(_, value)| value.as_str()).unwrap();
    assert_eq!(parse(twiml).unwrap(), [Verb::Dial(DISPATCHER.into())]);
    let session = store.gather_session(call).unwrap().unwrap();
    assert!(session.state.contains(&format!("\"ended\":\"{TAKEN_OVER}\"")), "{}", session.state);
}
