//! The Ultravox backend end to end, bridged through Twilio: the real Ultravox and Twilio clients
//! against the loopback fakes (the Twilio fake joins the Ultravox fake's joinUrl stream), the
//! real listener verifying both providers' signed callbacks through a tunnel, the inbox, the
//! call tasks and the campaign runner; agents synced on save, their tool carrying the key the
//! listener checks.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{ActionStatus, BackendKind, CallId, CallState, ControlAction, VoicemailPolicy};
use switchboard_engine::history::call_record;
use switchboard_engine::settings::DISPATCHER_PHONE;
use switchboard_engine::{CallReports, Engine, EngineError, EngineEvent, EngineSettings, LiveCalls, TAKEN_OVER};
use switchboard_fakes::WebhookDelivery;
use switchboard_fakes::twilio::{self, FakeTwilio, FakeTwilioSettings};
use switchboard_fakes::twilio_gather::twiml::{Verb, parse};
use switchboard_fakes::ultravox::{self, FakeUltravox, FakeUltravoxSettings};
use switchboard_providers::Secret;
use switchboard_providers::signature::{ULTRAVOX_TOOL_KEY_HEADER, UltravoxWebhookKey};
use switchboard_providers::ultravox::{UltravoxClient, UltravoxConfig};
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::Store;
use switchboard_telephony::backends::ReconcileSettings;
use switchboard_telephony::backends::TWILIO_CALL_REF;
use switchboard_telephony::backends::twilio::{TwilioDialer, TwilioDialerSettings};
use switchboard_telephony::backends::ultravox::{RECORD_FIELD_TOOL, ULTRAVOX_CALL_REF, UltravoxBackend};
use switchboard_telephony::listener::{ListenerSettings, ListenerState, WebhookRoute, WebhookSecrets};
use switchboard_telephony::{ProviderClients, ProviderSet};

use super::{assert_both_rounds_ranked, hosted, loopback_http, run_campaign, two_round_quote_campaign};
use hosted::Seeded;

const PUBLIC: &str = "https://tunnel.example";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "twilio-auth-token";
const API_KEY: &str = "uv-api-key";
const WEBHOOK_SECRET: &str = "uv-webhook-secret";
const FROM: &str = "+13125550100";

struct World {
    engine: Arc<Engine>,
    twilio: FakeTwilio,
    ultravox: FakeUltravox,
    backend: UltravoxBackend,
    reports: CallReports,
    _recordings: tempfile::TempDir,
}

impl Seeded for World {
    fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// How a test world is set up.
struct Setup {
    /// Numbers an answering machine answers.
    machines: Vec<String>,
    /// The agents' max duration.
    max_duration_secs: u32,
    /// How the reconciler (not started) looks.
    reconcile: ReconcileSettings,
    /// Who answers.
    cast: Cast,
    /// How long the Ultravox agent talks before it hangs up.
    conversation: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            machines: Vec::new(),
            max_duration_secs: 300,
            reconcile: ReconcileSettings::default(),
            cast: Cast::Cooperative,
            conversation: Duration::from_millis(150),
        }
    }
}

impl World {
    /// Both quote agents saved onto Ultravox (max duration 300 s); `machines` are numbers an
    /// answering machine answers.
    async fn new(machines: Vec<String>) -> Self {
        Self::with(Setup { machines, ..Setup::default() }).await
    }

    /// The world `setup` describes.
    async fn with(setup: Setup) -> Self {
        let Setup { machines, max_duration_secs, reconcile, cast, conversation } = setup;
        let store = Arc::new(Store::open_in_memory().unwrap());
        super::seed(&store);
        let (mut engine, recordings) =
            hosted::engine_keeping_recordings(&store, EngineSettings::default().lost_call_grace);
        let sim = SimSettings { cast, ..SimSettings::default() };
        let twilio = FakeTwilio::start(FakeTwilioSettings {
            account_sid: ACCOUNT.into(),
            auth_token: Secret::new(AUTH_TOKEN),
            ring_time: Duration::from_millis(30),
            sim,
            machines,
        })
        .await
        .unwrap();
        let ultravox = FakeUltravox::start(
            FakeUltravoxSettings {
                api_key: API_KEY.into(),
                webhook_secret: Secret::new(WEBHOOK_SECRET),
                agents: store.list_agents().unwrap(),
                conversation_delay: conversation,
                sim,
            },
            twilio.directory(),
        )
        .await
        .unwrap();
        let http = loopback_http();
        let twilio_client = twilio.client(&http).unwrap();
        let ultravox_client = UltravoxClient::new(
            UltravoxConfig { base_url: ultravox.base_url().to_owned(), api_key: Secret::new(API_KEY) },
            &http,
        )
        .unwrap();
        let live = LiveCalls::default();
        let dialer = TwilioDialer::new(
            twilio_client,
            Arc::clone(&store),
            live.clone(),
            TwilioDialerSettings { from_number: FROM.into(), public_base_url: PUBLIC.into(), reconcile },
        );
        let secrets = WebhookSecrets {
            twilio_auth_token: Some(Secret::new(AUTH_TOKEN)),
            ultravox: Some(Secret::new(WEBHOOK_SECRET)),
            ..WebhookSecrets::default()
        };
        // One set for the backend and the listener, as the console has: the agents' tool carries
        // the key the listener checks.
        let mut set = ProviderSet::new(PUBLIC, secrets.clone());
        set.ultravox = Some(ultravox_client);
        let clients = ProviderClients::new(set);
        let backend = UltravoxBackend::with_clients(clients.clone(), dialer.clone(), Arc::clone(&store), reconcile);
        engine.register_backend(Arc::new(backend.clone()));

        let reports = CallReports::new(Arc::clone(&store), engine.bus().clone(), live.clone(), engine.recordings());
        // Every fake posts from 127.0.0.1, as no real provider does: one address's rate limit would
        // drop their callbacks (they are not resent) in the larger runs.
        let rate = NonZeroU32::new(10_000).unwrap();
        let listener = ListenerSettings { rate_per_second: rate, rate_burst: rate, ..ListenerSettings::new(PUBLIC) };
        let state = ListenerState::new(Arc::clone(&store), engine.bus().clone(), secrets, listener)
            .with_clients(clients)
            .with_live_calls(live, engine.recordings())
            .with_twilio(dialer)
            .with_ultravox(backend.clone());
        let bound = hosted::serve_listener(state).await;
        twilio.tunnel(PUBLIC, &format!("http://{bound}"));
        ultravox.send_webhooks_to(&format!("http://{bound}{}", WebhookRoute::Ultravox.path()));

        for mut agent in store.list_agents().unwrap() {
            agent.config.backend = BackendKind::Ultravox;
            agent.config.max_duration_secs = max_duration_secs;
            engine.save_agent(Some(agent.id), agent.config).await.unwrap();
        }
        Self { engine: Arc::new(engine), twilio, ultravox, backend, reports, _recordings: recordings }
    }

    /// Calls `vendor` with the quote agent and waits for the end; returns the call and every
    /// state it was published in.
    async fn quote_call(&self, vendor: &str) -> (CallId, Vec<CallState>) {
        let mut events = self.engine.bus().subscribe();
        let call = self
            .engine
            .start_quote_call(self.vendor(vendor), self.agent("Vendor quote"), &crate::quote_request())
            .await
            .unwrap();
        let mut states = Vec::new();
        loop {
            let event =
                tokio::time::timeout(Duration::from_secs(20), events.recv()).await.expect("the call ends").unwrap();
            if let EngineEvent::CallUpdated { call: c } = &*event
                && c.id == call.id
            {
                states.push(c.state);
                if c.state.is_terminal() {
                    break;
                }
            }
        }
        (call.id, states)
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
}

#[tokio::test]
async fn a_quote_campaign_runs_both_rounds_over_ultravox_through_twilio() {
    let world = World::new(Vec::new()).await;
    let engine = &world.engine;
    let store = Arc::clone(engine.store());
    let spec = two_round_quote_campaign(
        "M8 bolts over Ultravox",
        world.agent("Vendor quote"),
        world.agent("Vendor negotiation"),
        &store,
    );
    let id = run_campaign(engine, spec).await;
    let (calls, _) = assert_both_rounds_ranked(&store, id);
    let placed = world.twilio.placed_calls();
    assert_eq!((placed.len(), world.ultravox.agent_calls().len()), (calls.len(), calls.len()), "nothing placed twice");
    // Give the recording callbacks (posted after `completed`) time to land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for call in &calls {
        assert_eq!(call.state, CallState::Completed, "{call:?}");
        let record = call_record(&store, call.id).unwrap();
        // The offer comes from the record_field values.
        hosted::assert_offer_said(&record);
        let sid = &record.provider_refs[TWILIO_CALL_REF];
        assert!(sid.starts_with("CA"), "{sid}");
        assert_eq!(store.call_by_provider_id(sid).unwrap().unwrap().id, call.id);
        assert!(!record.provider_refs[ULTRAVOX_CALL_REF].is_empty());
        let recording = record.recording.as_ref().expect("Twilio's recording");
        assert!(recording.file.ends_with(".wav") && recording.bytes > 44, "{recording:?}");
    }
    // Each Twilio call bridges to its Ultravox call, with every callback, AMD and recording.
    let form = &placed[0];
    assert!(field(form, "Twiml")[0].contains("<Connect><Stream url=\"ws://127.0.0.1:"), "{form:?}");
    assert_eq!(field(form, "From"), [FROM]);
    assert_eq!(field(form, "StatusCallback"), [format!("{PUBLIC}/twilio/status").as_str()]);
    assert_eq!(field(form, "StatusCallbackEvent"), ["initiated", "ringing", "answered", "completed"]);
    assert_eq!(field(form, "AsyncAmd"), ["true"]);
    assert_eq!(field(form, "AsyncAmdStatusCallback"), [format!("{PUBLIC}/twilio/amd").as_str()]);
    assert_eq!(field(form, "RecordingChannels"), ["dual"]);
    assert_eq!(field(form, "TimeLimit"), ["300"]);
    let body = &world.ultravox.agent_calls()[0];
    assert_eq!(body["medium"], serde_json::json!({"twilio": {}}));
    assert!(body["templateContext"]["vendor_name"].is_string() && body["metadata"]["switchboardCallId"].is_string());
}

#[tokio::test]
async fn reordered_and_duplicated_status_callbacks_never_move_a_call_backwards() {
    for delivery in [WebhookDelivery::Reordered, WebhookDelivery::Duplicated] {
        let world = World::new(Vec::new()).await;
        world.twilio.set_delivery(delivery);
        let (call, states) = world.quote_call("Acme Fasteners").await;
        let ranks: Vec<_> = states.iter().map(|state| *state as u8).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{delivery:?}: {states:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let record = call_record(world.engine.store(), call).unwrap();
        assert_eq!(record.call.state, CallState::Completed, "{delivery:?}");
        assert!(record.offer.is_some(), "{delivery:?}");
    }
}

#[tokio::test]
async fn a_contacts_extension_is_keyed_in_once_twilio_connects_the_call() {
    let world = World::new(Vec::new()).await;
    let store = world.engine.store();
    let mut acme = store.contact(world.vendor("Acme Fasteners")).unwrap().unwrap();
    acme.fields.phone = "(312) 555-0143 x12".into();
    let phone = switchboard_core::parse_phone(&acme.fields.phone, "US").unwrap();
    store.update_contact(acme.id, &acme.fields, Some(&phone), switchboard_engine::now()).unwrap();

    let (call, _) = world.quote_call("Acme Fasteners").await;
    assert_eq!(call_record(store, call).unwrap().call.state, CallState::Completed);
    let placed = world.twilio.placed_calls().remove(0);
    assert_eq!((field(&placed, "To"), field(&placed, "SendDigits")), (vec!["+13125550143"], vec!["wwww12"]));
    assert!(field(&placed, "MachineDetection").is_empty(), "Twilio ignores it on a call that sends digits");
}

#[tokio::test]
async fn an_answering_machine_gets_the_voicemail_policy() {
    let store = Store::open_in_memory().unwrap();
    super::seed(&store);
    let acme = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let world = World::new(vec![acme.phone_e164.clone().unwrap()]).await;

    // The preset leaves a message: the call is redirected to say it and hang up.
    let (call, _) = world.quote_call("Acme Fasteners").await;
    let record = call_record(world.engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Voicemail);
    assert!(record.call.end_reason.as_deref().unwrap().contains("voicemail message was left"), "{:?}", record.call);
    let (sid, form) = world.twilio.updates().remove(0);
    assert_eq!(sid, record.provider_refs[TWILIO_CALL_REF]);
    let twiml = field(&form, "Twiml")[0];
    assert!(twiml.contains("<Say>Hi, this is a message for Acme Fasteners") && twiml.contains("<Hangup/>"), "{twiml}");

    // Hanging up instead.
    let agent = world.engine.store().agent(world.agent("Vendor quote")).unwrap().unwrap();
    let mut config = agent.config;
    config.voicemail = VoicemailPolicy::HangUp;
    world.engine.save_agent(Some(agent.id), config).await.unwrap();
    let (call, _) = world.quote_call("Acme Fasteners").await;
    let record = call_record(world.engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Voicemail);
    let (_, form) = world.twilio.updates().remove(1);
    assert_eq!(field(&form, "Status"), ["completed"]);
    // Leaving a message waits for the beep; hanging up takes the first verdict.
    let modes: Vec<_> =
        world.twilio.placed_calls().iter().map(|form| field(form, "MachineDetection")[0].to_owned()).collect();
    assert_eq!(modes, ["DetectMessageEnd", "Enable"]);
}

#[tokio::test]
async fn agents_are_created_updated_and_deleted_with_the_local_ones() {
    let world = World::new(Vec::new()).await;
    let store = world.engine.store();
    let agent = store.agent(world.agent("Vendor quote")).unwrap().unwrap();
    let agent_id = agent.config.backend_settings.ultravox.agent_id.clone();
    let remote = &world.ultravox.agents()[&agent_id];
    assert_eq!(remote["callTemplate"]["systemPrompt"], agent.config.system_prompt.as_str());
    let tool = &remote["callTemplate"]["selectedTools"][0]["temporaryTool"];
    assert_eq!(tool["modelToolName"], RECORD_FIELD_TOOL);
    assert_eq!(tool["http"]["baseUrlPattern"], format!("{PUBLIC}/ultravox/tools/record-field"));
    let tool_key = UltravoxWebhookKey::new(Secret::new(WEBHOOK_SECRET)).tool_key();
    assert_eq!(
        tool["staticParameters"],
        serde_json::json!([{"name": ULTRAVOX_TOOL_KEY_HEADER, "location": "PARAMETER_LOCATION_HEADER",
                            "value": tool_key.expose()}]),
        "the tool's requests carry the key the listener checks"
    );
    assert_eq!(world.ultravox.agents().len(), 2);

    let mut config = agent.config.clone();
    config.system_prompt.push_str(" Be brief.");
    let saved = world.engine.save_agent(Some(agent.id), config).await.unwrap();
    assert_eq!(saved.config.backend_settings.ultravox.agent_id, agent_id, "updated in place");
    assert!(
        world.ultravox.agents()[&agent_id]["callTemplate"]["systemPrompt"].as_str().unwrap().ends_with("Be brief.")
    );

    let mut config = saved.config;
    config.backend = BackendKind::Simulator;
    let moved = world.engine.save_agent(Some(agent.id), config).await.unwrap();
    assert!(moved.config.backend_settings.ultravox.agent_id.is_empty());
    assert!(!world.ultravox.agents().contains_key(&agent_id), "deleted on Ultravox");
    assert_eq!(store.agent(agent.id).unwrap().unwrap().config.backend, BackendKind::Simulator);
}

#[tokio::test]
async fn without_ultravox_webhooks_twilio_completed_confirms_the_end_by_get() {
    let world = World::new(Vec::new()).await;
    world.ultravox.set_delivery(WebhookDelivery::Dropped);
    let (call, _) = world.quote_call("Pacific Bolt & Nut").await;
    let record = call_record(world.engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Completed);
    assert!(record.transcript.len() >= 4 && record.offer.is_some(), "{record:?}");
    let raw: serde_json::Value = serde_json::from_str(record.provider_record.as_deref().unwrap()).unwrap();
    assert_eq!(raw["endReason"], "agent_hangup", "Ultravox's own record of the call is kept");
}

#[tokio::test]
async fn a_call_whose_every_callback_is_lost_is_finished_by_the_reconciler() {
    let reconcile = ReconcileSettings {
        every: Duration::from_millis(200),
        overdue: Duration::from_millis(300),
        give_up: Duration::from_secs(5),
    };
    let world = World::with(Setup { max_duration_secs: 1, reconcile, ..Setup::default() }).await;
    world.ultravox.set_delivery(WebhookDelivery::Dropped);
    world.twilio.set_delivery(WebhookDelivery::Dropped);
    let reconciler = world.backend.spawn_reconciler(world.reports.clone());
    let (call, states) = world.quote_call("Acme Fasteners").await;
    reconciler.abort();
    assert_eq!(states.last(), Some(&CallState::Completed), "{states:?}");
    let record = call_record(world.engine.store(), call).unwrap();
    assert!(record.transcript.len() >= 4 && record.offer.is_some(), "{record:?}");
}

#[tokio::test]
async fn placing_a_call_is_never_resent_after_a_twilio_500_but_a_429_is_retried() {
    let world = World::new(Vec::new()).await;
    let (vendor, agent) = (world.vendor("Acme Fasteners"), world.agent("Vendor quote"));
    world.twilio.fail_next(twilio::Endpoint::CreateCall, 1);
    let error = world.engine.start_quote_call(vendor, agent, &crate::quote_request()).await.unwrap_err();
    assert!(matches!(error, EngineError::Backend(_)) && error.to_string().contains("HTTP 500"), "{error}");
    assert_eq!(world.twilio.placed_calls().len(), 1, "the 500 was not resent");
    let failed = world.engine.store().list_calls(1).unwrap().remove(0);
    assert_eq!(failed.state, CallState::Failed);

    world.twilio.rate_limit_next(twilio::Endpoint::CreateCall, 1);
    world.ultravox.rate_limit_next(ultravox::Endpoint::Calls, 1);
    world.ultravox.set_latency(Duration::from_millis(20));
    let (call, _) = world.quote_call("Acme Fasteners").await;
    assert_eq!(world.engine.store().call(call).unwrap().unwrap().state, CallState::Completed);
    assert_eq!(world.twilio.placed_calls().len(), 3, "the 429 was retried once");
}

#[tokio::test]
async fn with_a_realistic_cast_every_call_ends_as_twilio_and_ultravox_report_it() {
    let world = World::with(Setup { cast: Cast::Realistic, ..Setup::default() }).await;
    let (store, calls) = hosted::realistic_campaign(&world.engine).await;
    let count = |state| calls.iter().filter(|call| call.state == state).count();
    assert!(count(CallState::Busy) + count(CallState::NoAnswer) > 0, "busy lines and no-answers, from Twilio");
    assert!(count(CallState::Voicemail) > 0, "machines, from async AMD");
    for call in calls.iter().filter(|call| matches!(call.state, CallState::Busy | CallState::NoAnswer)) {
        let reason = call.end_reason.as_deref().unwrap();
        assert!(reason == "the line was busy" || reason == "nobody answered", "{call:?}");
        assert!(store.transcript(call.id).unwrap().is_empty() && store.offer(call.id).unwrap().is_none());
    }
    hosted::assert_most_quoted(&store, &calls);
}

#[tokio::test]
async fn the_dispatcher_ending_a_campaigns_ultravox_call_hangs_it_up_on_twilio() {
    let world = World::with(Setup { conversation: Duration::from_secs(30), ..Setup::default() }).await;
    let spec =
        super::quote_campaign("ultravox", world.agent("Vendor quote"), None, vec![world.vendor("Acme Fasteners")], 1);
    let (_, call) = super::campaign_call_ended_by_dispatcher(&world.engine, spec).await;
    let sid = call_record(world.engine.store(), call.id).unwrap().provider_refs.remove(TWILIO_CALL_REF).unwrap();
    super::assert_hung_up_once(&world.twilio, &sid).await;
}

#[tokio::test]
async fn the_dispatcher_takes_an_ultravox_call_over_and_twilio_dials_their_phone() {
    const DISPATCHER: &str = "+13125550199";
    let world = World::with(Setup { conversation: Duration::from_secs(30), ..Setup::default() }).await;
    let engine = &world.engine;
    let store = engine.store();
    let call = engine
        .start_quote_call(world.vendor("Acme Fasteners"), world.agent("Vendor quote"), &crate::quote_request())
        .await
        .unwrap();
    let mut answered = false;
    for _ in 0..500 {
        answered = store.call(call.id).unwrap().unwrap().state == CallState::InProgress;
        if answered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered, "the call is answered");
    let offers = engine.call_controls(call.id).await.unwrap();
    let said = offers.iter().find(|offer| offer.action == ControlAction::Say).unwrap();
    assert_eq!(said.unavailable.as_deref(), Some("Ultravox offers no way to have the agent say a typed line"));

    store.set_setting(DISPATCHER_PHONE, DISPATCHER).unwrap();
    let taken = engine.control_call(call.id, ControlAction::TakeOver, "").await.unwrap();
    assert_eq!(taken.status, ActionStatus::Done, "{taken:?}");
    let ended = super::gather::ended(store, call.id).await;
    assert_eq!((ended.state, ended.end_reason.as_deref()), (CallState::Completed, Some(TAKEN_OVER)));
    let sid = call_record(store, call.id).unwrap().provider_refs.remove(TWILIO_CALL_REF).unwrap();
    let updates: Vec<_> = world.twilio.updates().into_iter().filter(|(to, _)| *to == sid).collect();
    let [(_, form)] = updates.as_slice() else { panic!("one redirect: {updates:?}") };
    let twiml = form.iter().find(|(key, _)| key == "Twiml").map(|(_, value)| value.as_str()).unwrap();
    assert_eq!(parse(twiml).unwrap(), [Verb::Dial(DISPATCHER.into())]);
}
