//! The Vapi backend end to end: the real client against the loopback fake, the real listener on
//! 127.0.0.1 checking the server messages' `X-Vapi-Secret`, the inbox, the call tasks, the
//! reconciler and the campaign runner.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use switchboard_core::{ActionStatus, BackendKind, CallId, CallState, CallSummary, ControlAction};
use switchboard_engine::history::call_record;
use switchboard_engine::{
    CallReports, ENDED_BY_DISPATCHER, Engine, EngineError, EngineEvent, EngineSettings, LiveCalls,
};
use switchboard_fakes::vapi::{Endpoint, FakeVapi, FakeVapiSettings, WebhookDelivery};
use switchboard_providers::vapi::{VapiClient, VapiConfig};
use switchboard_providers::{HttpSettings, Secret};
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::Store;
use switchboard_telephony::backends::vapi::{CALL_REF, VapiBackend};
use switchboard_telephony::listener::{ListenerSettings, ListenerState, WebhookRoute, WebhookSecrets};

use super::{assert_both_rounds_ranked, hosted, loopback_http, two_round_quote_campaign};
use hosted::{RECONCILE, Seeded};

const API_KEY: &str = "vapi_private_test_key";
const SERVER_SECRET: &str = "vapi_server_secret_test";

/// The engine on the Vapi backend, its listener and the fake.
struct World {
    engine: Arc<Engine>,
    fake: FakeVapi,
    backend: VapiBackend,
    reports: CallReports,
    listener: String,
    _recordings: tempfile::TempDir,
}

impl Seeded for World {
    fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl World {
    /// Both shipped quote agents moved to Vapi (max duration `max_duration_secs`), the sample
    /// vendors, cooperative callees, and server messages delivered as `delivery`.
    async fn new(delivery: WebhookDelivery, max_duration_secs: u32) -> Self {
        Self::with_cast(delivery, max_duration_secs, Cast::Cooperative, loopback_http()).await
    }

    /// As [`World::new`], the callees being `cast` and the client's HTTP settings `http`.
    async fn with_cast(delivery: WebhookDelivery, max_duration_secs: u32, cast: Cast, http: HttpSettings) -> Self {
        let (store, agents) = hosted::seeded_store(BackendKind::Vapi, max_duration_secs, |id, config| {
            config.backend_settings.vapi.assistant_id = format!("asst-{}", id.0);
            config.backend_settings.vapi.phone_number_id = "pn-switchboard".into();
        });
        let (mut engine, recordings) =
            hosted::engine_keeping_recordings(&store, EngineSettings::default().lost_call_grace);

        let fake = FakeVapi::start(FakeVapiSettings {
            api_key: API_KEY.into(),
            server_secret: Secret::new(SERVER_SECRET),
            agents,
            // Ringing comes a third of it after the call is placed, well after its id is recorded.
            call_delay: Duration::from_millis(600),
            sim: SimSettings { cast, ..SimSettings::default() },
        })
        .await
        .unwrap();
        fake.set_delivery(delivery);
        let config = VapiConfig { base_url: fake.base_url().to_owned(), api_key: Secret::new(API_KEY) };
        let client = VapiClient::new(config, &http).unwrap();

        let live = LiveCalls::default();
        let secrets = WebhookSecrets { vapi: Some(Secret::new(SERVER_SECRET)), ..WebhookSecrets::default() };
        let settings = ListenerSettings::new("http://127.0.0.1");
        let state = ListenerState::new(Arc::clone(&store), engine.bus().clone(), secrets, settings)
            .with_live_calls(live.clone(), engine.recordings())
            .with_report_clients(|set| set.vapi = Some(client.clone()));
        let bound = hosted::serve_listener(state).await;
        let listener = format!("http://{bound}{}", WebhookRoute::Vapi.path());
        fake.send_messages_to(&listener);

        let backend = VapiBackend::new(client, Arc::clone(&store), live.clone(), RECONCILE);
        engine.register_backend(Arc::new(backend.clone()));
        let reports = CallReports::new(store, engine.bus().clone(), live, engine.recordings());
        Self { engine: Arc::new(engine), fake, backend, reports, listener, _recordings: recordings }
    }

    /// Calls `vendor` with the quote agent and waits for the call to end; returns it with the
    /// transcript lines and offers published for it.
    async fn quote_call(&self, vendor: &str) -> (CallId, usize, usize) {
        hosted::quote_call(&self.engine, vendor).await
    }

    /// Waits until the fake has posted `count` server messages.
    async fn messages_posted(&self, count: u32) {
        for _ in 0..100 {
            if self.fake.messages_posted() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(self.fake.messages_posted(), count);
    }
}

/// The call once it has ended (its task applies reports as they come).
async fn terminal(store: &Store, call: CallId) -> CallSummary {
    for _ in 0..100 {
        let summary = store.call(call).unwrap().unwrap();
        if summary.state.is_terminal() {
            return summary;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("call {call} did not end")
}

/// The `POST /call` body the fake received for `call` (its number, its agent's assistant).
fn placed_body<'a>(placed: &'a [serde_json::Value], call: &CallSummary) -> &'a serde_json::Value {
    let assistant = format!("asst-{}", call.agent_id.0);
    placed
        .iter()
        .find(|body| body["customer"]["number"] == call.phone.as_str() && body["assistantId"] == assistant.as_str())
        .unwrap()
}

#[tokio::test]
async fn a_quote_campaign_runs_both_rounds_over_vapi_and_fills_history() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let engine = &world.engine;
    let store = Arc::clone(engine.store());
    let mut events = engine.bus().subscribe();
    let spec = two_round_quote_campaign(
        "M8 bolts over Vapi",
        world.agent("Vendor quote"),
        world.agent("Vendor negotiation"),
        &store,
    );
    let id = engine.launch_campaign(spec).await.unwrap();
    let mut ringing = 0;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv()).await.expect("campaign ends").unwrap();
        match &*event {
            EngineEvent::CallUpdated { call } if call.state == CallState::Ringing => ringing += 1,
            EngineEvent::CampaignUpdated { campaign_id, status, .. } if *campaign_id == id && status == "completed" => {
                break;
            }
            _ => {}
        }
    }
    let (calls, round_two) = assert_both_rounds_ranked(&store, id);
    assert_eq!(ringing, calls.len(), "each call rang, as Vapi's status updates said");
    let placed = world.fake.placed_calls();
    assert_eq!(placed.len(), calls.len(), "one POST /call per call, nothing placed twice");
    for call in &calls {
        assert_eq!(call.state, CallState::Completed, "{call:?}");
        assert_eq!(call.end_reason.as_deref(), Some("Vapi: assistant-ended-call"));
        assert!(call.answered_at.is_some());
        let record = call_record(&store, call.id).unwrap();
        hosted::assert_offer_said(&record);
        assert!(record.fields.iter().any(|f| f.key == "unit_price"), "{:?}", record.fields);
        let vapi_id = &record.provider_refs[CALL_REF];
        assert_eq!(store.call_by_provider_id(vapi_id).unwrap().map(|c| c.id), Some(call.id), "found by Vapi's id");
        let cost = record.cost.as_ref().unwrap();
        assert!(cost.currency == "USD" && cost.amount > 0.0, "{cost:?}");
        let price = record.price.as_ref().expect("Vapi's figure is the price");
        assert!(!price.estimate && (price.total_usd - cost.amount).abs() < 1e-9, "{price:?}");
        let raw: serde_json::Value = serde_json::from_str(record.provider_record.as_deref().unwrap()).unwrap();
        assert_eq!(raw["message"]["type"], "end-of-call-report");
        assert_eq!(raw["message"]["call"]["id"], vapi_id.as_str());
        let recording = record.recording.as_ref().expect("the call's recording");
        assert!(recording.file.ends_with(".wav") && recording.bytes > 44, "{recording:?}");
        assert!(recording.duration_ms > 1_000, "{recording:?}");
        // The request carried the callee, the vendor's variables and the rendered first message.
        let body = placed_body(&placed, call);
        assert_eq!(body["phoneNumberId"], "pn-switchboard");
        assert_eq!(body["customer"]["name"], call.contact_name.as_str());
        let overrides = &body["assistantOverrides"];
        assert_eq!(overrides["variableValues"]["vendor_name"], call.contact_name.as_str());
        assert_eq!(overrides["firstMessage"].as_str().unwrap(), record.transcript[0].text);
    }
    for target in &round_two {
        let call = calls.iter().find(|c| c.round == Some(2) && c.contact_id == target.contact_id).unwrap();
        let best = target.variables.get("best_price").unwrap();
        let variables = &placed_body(&placed, call)["assistantOverrides"]["variableValues"];
        assert_eq!(variables["best_price"], best.as_str());
    }
}

#[tokio::test]
async fn with_a_realistic_cast_every_call_ends_and_busy_or_unanswered_ones_with_vapis_reason() {
    let world = World::with_cast(WebhookDelivery::InOrder, 300, Cast::Realistic, loopback_http()).await;
    let (store, calls) = hosted::realistic_campaign(&world.engine).await;
    let unreached: Vec<_> =
        calls.iter().filter(|call| matches!(call.state, CallState::Busy | CallState::NoAnswer)).collect();
    assert!(!unreached.is_empty(), "the realistic cast has busy lines and no-answers");
    for call in unreached {
        let reason = call.end_reason.as_deref().unwrap();
        assert!(["Vapi: customer-busy", "Vapi: customer-did-not-answer"].contains(&reason), "{call:?}");
        assert!(store.transcript(call.id).unwrap().is_empty() && store.offer(call.id).unwrap().is_none());
        assert!(call_record(&store, call.id).unwrap().recording.is_none());
    }
    hosted::assert_most_quoted(&store, &calls);
}

#[tokio::test]
async fn duplicated_and_reordered_server_messages_are_applied_once() {
    for delivery in [WebhookDelivery::Duplicated, WebhookDelivery::Reordered] {
        let world = World::new(delivery, 300).await;
        let (call, record) = hosted::quote_call_applied_once(&world.engine, delivery).await;
        let store = world.engine.store();
        // Ringing, in progress, ended and the report; each twice when duplicated. Let the later
        // ones land (reordered: the report came first), then nothing more has changed.
        world.messages_posted(if delivery == WebhookDelivery::Duplicated { 8 } else { 4 }).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(call_record(store, call).unwrap(), record, "{delivery:?}");
        assert_eq!(store.inbox_counts().unwrap().total, 4, "{delivery:?}: duplicates are one row each");
    }
}

#[tokio::test]
async fn a_dropped_report_is_recovered_by_the_reconciler() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let reconciler = world.backend.spawn_reconciler(world.reports.clone());
    let record = hosted::quote_call_reconciled(&world.engine, reconciler).await;
    assert_eq!(world.fake.messages_posted(), 0);
    assert!(record.offer.is_some() && record.recording.is_some() && record.cost.is_some());
    let raw: serde_json::Value = serde_json::from_str(record.provider_record.as_deref().unwrap()).unwrap();
    assert_eq!(
        (raw["status"].as_str(), raw["id"].as_str()),
        (Some("ended"), Some(record.provider_refs[CALL_REF].as_str()))
    );
    // A second pass finds nothing left to do; the late messages add nothing to the closed call.
    assert_eq!(world.backend.reconcile(&world.reports).await.unwrap(), 0);
    world.fake.deliver_dropped().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = call_record(world.engine.store(), record.call.id).unwrap();
    assert_eq!((&late.call, &late.transcript, &late.fields), (&record.call, &record.transcript, &record.fields));
    assert_eq!((&late.offer, &late.cost), (&record.offer, &record.cost));
}

/// Vapi answers the placing only after the call is overdue: the reconciler leaves a call this
/// process is still placing (its id not recorded yet) alone, and it ends as it went.
#[tokio::test]
async fn a_call_still_being_placed_when_overdue_is_not_closed_as_lost() {
    // The client waits long enough for the slow placing even on a loaded machine.
    let http = HttpSettings { request_timeout: Duration::from_secs(10), ..loopback_http() };
    let world = World::with_cast(WebhookDelivery::Dropped, 1, Cast::Cooperative, http).await;
    world.fake.set_latency(Duration::from_millis(1000) + RECONCILE.overdue + RECONCILE.every * 3);
    let reconciler = world.backend.spawn_reconciler(world.reports.clone());
    let record = hosted::quote_call_reconciled(&world.engine, reconciler).await;
    assert_eq!(record.call.state, CallState::Completed, "{:?}", record.call.end_reason);
}

#[tokio::test]
async fn a_call_open_when_the_app_restarts_is_finished_by_the_reconciler() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let (client, store) = (world.backend.client().unwrap(), Arc::clone(world.engine.store()));
    let record =
        hosted::finished_after_restart(&world.engine, "Vapi", |live| VapiBackend::new(client, store, live, RECONCILE))
            .await;
    assert!(record.cost.is_some());
}

#[tokio::test]
async fn a_call_vapi_does_not_know_is_closed_as_lost() {
    let world = World::new(WebhookDelivery::Dropped, 1).await;
    let reconciler = world.backend.spawn_reconciler(world.reports.clone());
    let ended = hosted::ended_with_unknown_ref(&world.engine, CALL_REF, "nobody-knows-this-call").await;
    reconciler.abort();
    assert_eq!(ended.state, CallState::Lost);
    assert_eq!(ended.end_reason.as_deref(), Some("Vapi has no call nobody-knows-this-call"));
}

#[tokio::test]
async fn a_call_vapi_never_ends_is_closed_as_lost_past_the_give_up_time() {
    let world = World::new(WebhookDelivery::InOrder, 1).await;
    world.fake.set_call_delay(Duration::from_secs(60));
    let store = world.engine.store();
    let call = world
        .engine
        .start_quote_call(world.vendor("Acme Fasteners"), world.agent("Vendor quote"), &crate::quote_request())
        .await
        .unwrap();
    // Overdue (1 s max duration + 0.3 s) but not yet past the give-up time (+ 2 s): left open.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert_eq!(world.backend.reconcile(&world.reports).await.unwrap(), 0);
    assert!(!store.call(call.id).unwrap().unwrap().state.is_terminal());
    // Past it, with Vapi failing every GET: nothing is closed on a call Vapi could not be asked about.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    world.fake.fail_next(Endpoint::GetCall, u32::MAX);
    assert_eq!(world.backend.reconcile(&world.reports).await.unwrap(), 0);
    assert!(!store.call(call.id).unwrap().unwrap().state.is_terminal());
    // Vapi answers again and still reports the call running: it is lost.
    world.fake.fail_next(Endpoint::GetCall, 0);
    assert_eq!(world.backend.reconcile(&world.reports).await.unwrap(), 1);
    let ended = terminal(store, call.id).await;
    assert_eq!(ended.state, CallState::Lost);
    assert_eq!(ended.end_reason.as_deref(), Some("Vapi never reported the end of the call"));
}

#[tokio::test]
async fn rate_limits_and_server_errors_follow_the_clients_policy_and_a_refusal_fails_the_call() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let (vendor, agent) = (world.vendor("Acme Fasteners"), world.agent("Vendor quote"));

    // Two 429s are waited out (Retry-After: 1 each), then the call goes through once.
    world.fake.set_latency(Duration::from_millis(20));
    world.fake.rate_limit_next(Endpoint::CreateCall, 2);
    hosted::assert_rate_limits_waited_out(&world.engine, || world.fake.placed_calls().len()).await;

    // A 500 on placing a call is not retried (it might have rung): the call fails with it.
    world.fake.fail_next(Endpoint::CreateCall, 1);
    let error = world.engine.start_quote_call(vendor, agent, &crate::quote_request()).await.unwrap_err();
    assert!(matches!(error, EngineError::Backend(_)), "{error:?}");
    assert!(error.to_string().contains("HTTP 500"), "{error}");
    assert_eq!(world.fake.placed_calls().len(), 1, "the 500 was not retried");

    // Vapi refusing the call fails it with Vapi's message.
    world.fake.refuse_calls(Some("Couldn't Get Phone Number. `phoneNumberId` pn-switchboard Does Not Exist."));
    let error = world.engine.start_quote_call(vendor, agent, &crate::quote_request()).await.unwrap_err();
    assert!(error.to_string().contains("`phoneNumberId` pn-switchboard Does Not Exist"), "{error}");
    let failed = world.engine.store().list_calls(1).unwrap().remove(0);
    assert_eq!(failed.state, CallState::Failed);
    assert!(failed.end_reason.as_deref().unwrap().contains("Does Not Exist"), "{failed:?}");
    world.fake.refuse_calls(None);

    // The recording's GET stalls past the client's timeout once, fails once, then answers.
    world.fake.stall_next(Endpoint::Recording, 1, Duration::from_secs(3));
    world.fake.fail_next(Endpoint::Recording, 1);
    let (call, _, _) = world.quote_call("Acme Fasteners").await;
    let record = call_record(world.engine.store(), call).unwrap();
    assert_eq!(record.call.state, CallState::Completed);
    assert!(record.recording.is_some(), "the recording's fetch was retried");
}

#[tokio::test]
async fn a_client_with_the_wrong_key_is_refused() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    let config = VapiConfig { base_url: world.fake.base_url().to_owned(), api_key: Secret::new("not-the-key") };
    let client = VapiClient::new(config, &HttpSettings::default()).unwrap();
    let error = client.get_call("any-call").await.unwrap_err();
    assert_eq!(error.status(), Some(401), "{error}");
}

#[tokio::test]
async fn a_forged_server_message_is_refused_and_changes_nothing() {
    let world = World::new(WebhookDelivery::Dropped, 300).await;
    let store = world.engine.store();
    let call = world
        .engine
        .start_quote_call(world.vendor("Acme Fasteners"), world.agent("Vendor quote"), &crate::quote_request())
        .await
        .unwrap()
        .id;
    let before = call_record(store, call).unwrap();
    let vapi_id = before.provider_refs[CALL_REF].clone();
    let report = serde_json::json!({"message": {"type": "end-of-call-report", "endedReason": "customer-busy",
        "call": {"id": vapi_id}, "cost": 9.99}});
    let http = reqwest::Client::new();
    for secret in [Some("not-the-secret"), None] {
        let mut request = http.post(&world.listener).json(&report);
        if let Some(secret) = secret {
            request = request.header("X-Vapi-Secret", secret);
        }
        assert_eq!(request.send().await.unwrap().status().as_u16(), 403, "{secret:?}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.inbox_counts().unwrap().total, 0, "nothing was written");
    assert_eq!(call_record(store, call).unwrap(), before, "nothing changed");
    // The same message with the secret is taken.
    let answer = http.post(&world.listener).header("X-Vapi-Secret", SERVER_SECRET).json(&report).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(terminal(store, call).await.state, CallState::Busy);
}

#[tokio::test]
async fn a_live_vapi_call_is_steered_told_a_line_and_ended_through_its_control_url() {
    let world = World::new(WebhookDelivery::InOrder, 300).await;
    world.fake.set_call_delay(Duration::from_secs(3));
    let engine = &world.engine;
    let store = engine.store();
    let vendor = hosted::vendor(engine, "Pacific Bolt & Nut");
    let call =
        engine.start_quote_call(vendor, hosted::agent(engine, "Vendor quote"), &crate::quote_request()).await.unwrap();

    let offers = engine.call_controls(call.id).await.unwrap();
    let steer = offers.iter().find(|offer| offer.action == ControlAction::Steer).unwrap();
    assert_eq!(steer.unavailable, None, "Vapi takes notes: {offers:?}");
    let note = engine.control_call(call.id, ControlAction::Steer, "Ask about freight").await.unwrap();
    let said = engine.control_call(call.id, ControlAction::Say, "One moment please.").await.unwrap();
    let ended = engine.control_call(call.id, ControlAction::End, "").await.unwrap();
    for action in [&note, &said, &ended] {
        assert_eq!(action.status, ActionStatus::Done, "{action:?}");
    }
    let summary = terminal(store, call.id).await;
    assert_eq!((summary.state, summary.end_reason.as_deref()), (CallState::Canceled, Some(ENDED_BY_DISPATCHER)));
    let sent: Vec<serde_json::Value> = world.fake.controls().into_iter().map(|(_, message)| message).collect();
    assert_eq!(
        sent,
        [
            json!({"type": "add-message", "message": {"role": "system",
                "content": "A note from the dispatcher, to follow from now on: Ask about freight"},
                "triggerResponseEnabled": false}),
            json!({"type": "say", "content": "One moment please.", "endCallAfterSpoken": false}),
            json!({"type": "end-call"}),
        ]
    );

    // Once Vapi's report has come, the call is over there too: its refusal is kept in its words.
    world.messages_posted(4).await;
    let late = engine.control_call(call.id, ControlAction::Say, "Hello?").await.unwrap();
    assert_eq!((late.status, late.result.as_deref()), (ActionStatus::Refused, Some("the call is over (canceled)")));
    // The listener answers Vapi before it applies the report.
    let mut record = call_record(store, call.id).unwrap();
    for _ in 0..100 {
        if !record.transcript.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        record = call_record(store, call.id).unwrap();
    }
    assert!(!record.transcript.is_empty(), "Vapi's report still fills History");
    assert_eq!(record.actions.len(), 4);
}
