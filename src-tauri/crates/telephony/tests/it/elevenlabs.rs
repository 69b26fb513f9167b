//! The ElevenLabs Agents backend end to end: the real client against the loopback fake, the
//! real listener on 127.0.0.1 verifying its signed webhooks, the inbox, the call tasks and the
//! campaign runner.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallId, CallState, CallSummary, ControlAction};
use switchboard_engine::history::call_record;
use switchboard_engine::{
    CallBackend, CallCommand, CallReports, Engine, EngineError, EngineEvent, EngineSettings, LiveCalls,
};
use switchboard_fakes::elevenlabs::{Endpoint, FAKE_MP3, FakeElevenLabs, FakeElevenLabsSettings, WebhookDelivery};
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings};
use switchboard_providers::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use switchboard_providers::{ConnectionCheck, HttpSettings, Secret};
use switchboard_sim::{Cast, SimSettings};
use switchboard_telephony::ProviderClients;
use switchboard_telephony::backends::elevenlabs::{CONVERSATION_REF, ElevenLabsBackend};
use switchboard_telephony::backends::{CallPlacing, TWILIO_CALL_REF};
use switchboard_telephony::listener::{ListenerSettings, ListenerState, WebhookRoute, WebhookSecrets};

use super::{assert_both_rounds_ranked, hosted, loopback_http, run_campaign, two_round_quote_campaign};
use hosted::{RECONCILE, Seeded};

const API_KEY: &str = "xi_test_key";
const WEBHOOK_SECRET: &str = "whsec_switchboard_test";

/// The engine on the ElevenLabs backend, its listener and the fake.
struct World {
    engine: Arc<Engine>,
    fake: FakeElevenLabs,
    backend: ElevenLabsBackend,
    reports: CallReports,
    _recordings: tempfile::TempDir,
}

impl Seeded for World {
    fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl World {
    /// Both shipped quote agents moved to ElevenLabs (max duration `max_duration_secs`), the
    /// sample vendors, and webhooks delivered as `delivery`.
    async fn new(delivery: WebhookDelivery, max_duration_secs: u32) -> Self {
        Self::with_grace(delivery, max_duration_secs, EngineSettings::default().lost_call_grace).await
    }

    /// As [`World::new`], closing calls as lost `lost_call_grace` past their deadline.
    async fn with_grace(delivery: WebhookDelivery, max_duration_secs: u32, lost_call_grace: Duration) -> Self {
        Self::with_cast(delivery, max_duration_secs, lost_call_grace, Cast::Cooperative).await
    }

    /// As [`World::with_grace`], the callees being `cast`.
    async fn with_cast(
        delivery: WebhookDelivery,
        max_duration_secs: u32,
        lost_call_grace: Duration,
        cast: Cast,
    ) -> Self {
        let (store, agents) = hosted::seeded_store(BackendKind::ElevenLabs, max_duration_secs, |id, config| {
            config.backend_settings.eleven_labs.agent_id = format!("agent_{}", id.0);
            config.backend_settings.eleven_labs.agent_phone_number_id = "phnum_switchboard".into();
        });
        let (mut engine, recordings) = hosted::engine_keeping_recordings(&store, lost_call_grace);

        let fake = FakeElevenLabs::start(FakeElevenLabsSettings {
            api_key: API_KEY.into(),
            webhook_secret: Secret::new(WEBHOOK_SECRET),
            agents,
            conversation_delay: Duration::from_millis(150),
            sim: SimSettings { cast, ..SimSettings::default() },
        })
        .await
        .unwrap();
        fake.set_delivery(delivery);
        let http = loopback_http();
        let config = ElevenLabsConfig { base_url: fake.base_url().to_owned(), api_key: Secret::new(API_KEY) };
        let client = ElevenLabsClient::new(config, &http).unwrap();

        let live = LiveCalls::default();
        let secrets = WebhookSecrets { elevenlabs: Some(Secret::new(WEBHOOK_SECRET)), ..WebhookSecrets::default() };
        let state = ListenerState::new(
            Arc::clone(&store),
            engine.bus().clone(),
            secrets,
            ListenerSettings::new("http://127.0.0.1"),
        )
        .with_live_calls(live.clone(), engine.recordings())
        .with_report_clients(|set| set.elevenlabs = Some(client.clone()));
        let bound = hosted::serve_listener(state).await;
        fake.send_webhooks_to(&format!("http://{bound}{}", WebhookRoute::ElevenLabs.path()));

        let reconcile = RECONCILE;
        let backend = ElevenLabsBackend::new(client, Arc::clone(&store), live.clone(), reconcile);
        engine.register_backend(Arc::new(backend.clone()));
        let reports = CallReports::new(store, engine.bus().clone(), live, engine.recordings());
        Self { engine: Arc::new(engine), fake, backend, reports, _recordings: recordings }
    }

    /// Calls `vendor` with the quote agent and waits for the call to end; returns it with the
    /// transcript lines and offers published for it.
    async fn quote_call(&self, vendor: &str) -> (CallId, usize, usize) {
        hosted::quote_call(&self.engine, vendor).await
    }
}

#[tokio::test]
async fn a_quote_campaign_runs_both_rounds_over_elevenlabs_and_fills_history() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let engine = &world.engine;
    let store = Arc::clone(engine.store());
    let spec = two_round_quote_campaign(
        "M8 bolts over ElevenLabs",
        world.agent("Vendor quote"),
        world.agent("Vendor negotiation"),
        &store,
    );
    let id = run_campaign(engine, spec).await;
    let (calls, round_two) = assert_both_rounds_ranked(&store, id);
    let placed = world.fake.placed_calls();
    assert_eq!(placed.len(), calls.len(), "one outbound call per call, nothing placed twice");
    for call in &calls {
        assert_eq!(call.state, CallState::Completed, "{call:?}");
        let record = call_record(&store, call.id).unwrap();
        hosted::assert_offer_said(&record);
        assert!(record.fields.iter().any(|f| f.key == "unit_price"), "{:?}", record.fields);
        let conversation = &record.provider_refs[CONVERSATION_REF];
        assert!(conversation.starts_with("conv_"));
        assert!(record.provider_refs[TWILIO_CALL_REF].starts_with("CA"));
        let credits = record.cost.as_ref().unwrap();
        assert_eq!(credits.currency, "credits");
        // Its price in dollars: the credits ElevenLabs reported at the default $0.00022 each.
        let price = record.price.as_ref().expect("priced from ElevenLabs' credits");
        assert!(!price.estimate && price.items.len() == 1, "{price:?}");
        assert!((price.total_usd - credits.amount * 0.000_22).abs() < 1e-9, "{credits:?} → {price:?}");
        let raw: serde_json::Value = serde_json::from_str(record.provider_record.as_deref().unwrap()).unwrap();
        assert_eq!(raw["data"]["conversation_id"], conversation.as_str());
        let recording = record.recording.as_ref().expect("the conversation's audio");
        assert_eq!(recording.bytes, FAKE_MP3.len() as u64);
        // The request carried the vendor's variables and the rendered texts.
        let body = placed_body(&placed, call);
        let data = &body["conversation_initiation_client_data"];
        assert_eq!(data["dynamic_variables"]["vendor_name"], call.contact_name.as_str());
        let first = data["conversation_config_override"]["agent"]["first_message"].as_str().unwrap();
        assert_eq!(first, record.transcript[0].text);
    }
    for target in &round_two {
        let call = calls.iter().find(|c| c.round == Some(2) && c.contact_id == target.contact_id).unwrap();
        let best = target.variables.get("best_price").unwrap();
        let variables = &placed_body(&placed, call)["conversation_initiation_client_data"]["dynamic_variables"];
        assert_eq!(variables["best_price"], best.as_str());
    }
}

/// The outbound-call body the fake received for `call` (its number, its agent's ElevenLabs id).
fn placed_body<'a>(placed: &'a [serde_json::Value], call: &CallSummary) -> &'a serde_json::Value {
    let agent = format!("agent_{}", call.agent_id.0);
    placed.iter().find(|body| body["to_number"] == call.phone.as_str() && body["agent_id"] == agent.as_str()).unwrap()
}

#[tokio::test]
async fn with_a_realistic_cast_every_call_ends_and_busy_or_unanswered_ones_from_the_failure_webhook() {
    let world =
        World::with_cast(WebhookDelivery::InOrder, 300, EngineSettings::default().lost_call_grace, Cast::Realistic)
            .await;
    let (store, calls) = hosted::realistic_campaign(&world.engine).await;
    let unreached: Vec<_> =
        calls.iter().filter(|call| matches!(call.state, CallState::Busy | CallState::NoAnswer)).collect();
    assert!(!unreached.is_empty(), "the realistic cast has busy lines and no-answers");
    for call in unreached {
        assert!(call.end_reason.as_deref().unwrap().starts_with("ElevenLabs could not start the call"), "{call:?}");
        assert!(store.transcript(call.id).unwrap().is_empty() && store.offer(call.id).unwrap().is_none());
    }
    hosted::assert_most_quoted(&store, &calls);
}

#[tokio::test]
async fn duplicated_and_reordered_webhooks_are_applied_once() {
    for delivery in [WebhookDelivery::Duplicated, WebhookDelivery::Reordered] {
        let world = World::new(delivery, 300).await;
        let (call, record) = hosted::quote_call_applied_once(&world.engine, delivery).await;
        let store = world.engine.store();
        // Let the later webhooks land, then nothing more has changed.
        let posted = if delivery == WebhookDelivery::Duplicated { 4 } else { 2 };
        for _ in 0..100 {
            if world.fake.webhooks_posted() == posted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(world.fake.webhooks_posted(), posted, "{delivery:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(call_record(store, call).unwrap(), record, "{delivery:?}");
        assert_eq!(store.inbox_counts().unwrap().total, 2, "{delivery:?}: duplicates are one row each");
    }
}

#[tokio::test]
async fn a_dropped_webhook_is_recovered_by_the_reconciler() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let reconciler = world.backend.spawn_reconciler(world.reports.clone());
    let record = hosted::quote_call_reconciled(&world.engine, reconciler).await;
    assert_eq!(world.fake.webhooks_posted(), 0);
    assert!(record.offer.is_some() && record.recording.is_some() && record.provider_record.is_some());
    // A second pass finds nothing left to do.
    assert_eq!(world.backend.reconcile(&world.reports).await.unwrap(), 0);
}

#[tokio::test]
async fn a_call_open_when_the_app_restarts_is_finished_by_the_reconciler() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let (client, store) = (world.backend.client().unwrap(), Arc::clone(world.engine.store()));
    hosted::finished_after_restart(&world.engine, "ElevenLabs", |live| {
        ElevenLabsBackend::new(client, store, live, RECONCILE)
    })
    .await;
}

#[tokio::test]
async fn the_webhook_and_the_reconciler_reporting_at_once_add_each_line_once() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let store = world.engine.store();
    let mut events = world.engine.bus().subscribe();
    let call = world
        .engine
        .start_quote_call(world.vendor("Acme Fasteners"), world.agent("Vendor quote"), &crate::quote_request())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let (reconciled, ()) = tokio::join!(world.backend.reconcile(&world.reports), world.fake.deliver_dropped());
    assert_eq!(reconciled.unwrap(), 1);
    let mut published = 0;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("the call ends").unwrap();
        match &*event {
            EngineEvent::TranscriptLine { call_id, .. } if *call_id == call.id => published += 1,
            EngineEvent::CallUpdated { call: c } if c.id == call.id && c.state.is_terminal() => break,
            _ => {}
        }
    }
    // Give the other report time to be applied too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let record = call_record(store, call.id).unwrap();
    assert_eq!(record.call.state, CallState::Completed);
    let seqs: Vec<u32> = record.transcript.iter().map(|line| line.seq).collect();
    assert_eq!(seqs, (0..seqs.len() as u32).collect::<Vec<_>>());
    assert!(seqs.len() >= 4);
    assert_eq!(published, seqs.len(), "each line published once");
}

#[tokio::test]
async fn a_conversation_elevenlabs_does_not_know_is_closed_as_lost() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let reconciler = world.backend.spawn_reconciler(world.reports.clone());
    let ended = hosted::ended_with_unknown_ref(&world.engine, CONVERSATION_REF, "conv_nobody_knows").await;
    reconciler.abort();
    assert_eq!(ended.state, CallState::Lost);
    assert_eq!(ended.end_reason.as_deref(), Some("ElevenLabs has no conversation conv_nobody_knows"));
}

#[tokio::test]
async fn a_webhook_after_the_call_was_closed_as_lost_still_fills_history() {
    let world = World::with_grace(WebhookDelivery::Dropped, 1, Duration::from_millis(10)).await;
    let (call, lines, offers) = world.quote_call("Acme Fasteners").await;
    let store = world.engine.store();
    let lost = call_record(store, call).unwrap();
    assert_eq!((lost.call.state, lines, offers), (CallState::Lost, 0, 0));

    // No task listens any more: the report is applied straight to the store, state unchanged.
    world.fake.deliver_dropped().await;
    let mut filled = lost.clone();
    for _ in 0..100 {
        filled = call_record(store, call).unwrap();
        if filled.recording.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(filled.call, lost.call, "a closed call stays closed");
    assert!(filled.transcript.len() >= 4 && filled.fields.iter().any(|f| f.key == "unit_price"));
    assert!(filled.provider_record.is_some() && filled.cost.is_some() && filled.recording.is_some());
}

#[tokio::test]
async fn a_call_elevenlabs_does_not_start_fails_at_once_with_its_reason() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let (vendor, agent) = (world.vendor("Acme Fasteners"), world.agent("Vendor quote"));

    world.fake.refuse_calls(Some("Agent phone number phnum_switchboard is not assigned to an agent"));
    let error = world.engine.start_quote_call(vendor, agent, &crate::quote_request()).await.unwrap_err();
    assert!(matches!(error, EngineError::Backend(_)), "{error:?}");
    assert!(error.to_string().contains("is not assigned to an agent"), "{error}");
    let call = world.engine.store().list_calls(1).unwrap().remove(0);
    assert_eq!(call.state, CallState::Failed);
    assert!(call.end_reason.as_deref().unwrap().contains("is not assigned to an agent"), "{call:?}");

    // A 500 on placing a call is not retried (it might have rung): the call fails with it.
    world.fake.refuse_calls(None);
    world.fake.fail_next(Endpoint::OutboundCall, 1);
    let error = world.engine.start_quote_call(vendor, agent, &crate::quote_request()).await.unwrap_err();
    assert!(error.to_string().contains("HTTP 500"), "{error}");
    assert_eq!(world.fake.placed_calls().len(), 1, "the 500 was not retried");
}

#[tokio::test]
async fn rate_limits_latency_and_a_stalled_fetch_are_retried() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    world.fake.set_latency(Duration::from_millis(20));
    world.fake.rate_limit_next(Endpoint::OutboundCall, 2);
    hosted::assert_rate_limits_waited_out(&world.engine, || world.fake.placed_calls().len()).await;

    // The recording's GET stalls past the client's timeout once, fails once, then answers.
    world.fake.stall_next(Endpoint::Conversation, 1, Duration::from_secs(3));
    world.fake.fail_next(Endpoint::Conversation, 1);
    let (call, _, _) = world.quote_call("Acme Fasteners").await;
    let record = call_record(world.engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Completed);
    assert!(record.recording.is_some(), "the audio fetch was retried");
}

#[tokio::test]
async fn the_connection_check_passes_with_the_fakes_key_and_is_refused_with_another() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let check = |key: &str| {
        let config = ElevenLabsConfig { base_url: world.fake.base_url().to_owned(), api_key: Secret::new(key) };
        let client = ElevenLabsClient::new(config, &HttpSettings::default()).unwrap();
        async move { client.check_connection().await }
    };
    assert_eq!(check(API_KEY).await, ConnectionCheck::Connected);
    let ConnectionCheck::KeyRefused(error) = check("xi_revoked").await else { panic!("the wrong key was accepted") };
    assert_eq!(
        error.to_string(),
        r#"ElevenLabs answered HTTP 401: {"detail":{"message":"Invalid API key","status":"invalid_api_key"}}"#
    );
}

#[tokio::test]
async fn an_elevenlabs_call_is_ended_through_the_twilio_call_it_returned_when_twilio_is_set() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let engine = &world.engine;
    let vendor = hosted::vendor(engine, "Pacific Bolt & Nut");
    let call =
        engine.start_quote_call(vendor, hosted::agent(engine, "Vendor quote"), &crate::quote_request()).await.unwrap();

    // Without Twilio's credentials there is no way to end it; notes and lines never are.
    let why = |action| world.backend.can(action).unwrap_err();
    assert!(why(ControlAction::End).starts_with("no Twilio account is set"), "{}", why(ControlAction::End));
    assert_eq!(why(ControlAction::Steer), "ElevenLabs offers no way to pass the agent a note during a call");

    // With them, the Call SID ElevenLabs returned is hung up at Twilio; Twilio's refusal (it does
    // not know the call) comes back in its words.
    let twilio = FakeTwilio::start(FakeTwilioSettings {
        account_sid: "AC00000000000000000000000000000000eleven".into(),
        auth_token: Secret::new("twilio-token"),
        ring_time: Duration::from_millis(10),
        sim: SimSettings::default(),
        machines: Vec::new(),
    })
    .await
    .unwrap();
    let (client, twilio_client) = (world.backend.client().unwrap(), twilio.client(&loopback_http()).unwrap());
    let placing = CallPlacing {
        clients: ProviderClients::holding(|set| {
            set.elevenlabs = Some(client);
            set.twilio = Some(twilio_client);
        }),
        store: Arc::clone(engine.store()),
        live: LiveCalls::default(),
        reconcile: RECONCILE,
    };
    let with_twilio = ElevenLabsBackend::with_clients(placing);
    assert_eq!(with_twilio.can(ControlAction::End), Ok(()));
    let sid =
        engine.store().provider_facts(call.id).unwrap().refs.remove(TWILIO_CALL_REF).expect("ElevenLabs' Call SID");
    let refused = with_twilio.control(call.id, CallCommand::End).await.unwrap_err();
    assert!(refused.to_string().starts_with("ElevenLabs: ") && refused.to_string().contains(&sid), "{refused}");
    assert!(refused.to_string().contains("was not found"), "Twilio's words: {refused}");
}
