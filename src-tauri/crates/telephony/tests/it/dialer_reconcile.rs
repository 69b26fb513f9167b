//! The Twilio dialer's reconciler end to end: speech-gather and pipeline calls whose Twilio
//! callbacks the fake drops are fetched from the fake Twilio once overdue and end exactly as the
//! callbacks would have ended them; a Call SID Twilio does not know is lost; a call Twilio keeps
//! live past give-up is lost and hung up at the fake; a gather call that ended while the app was
//! down is ended by the restarted app's reconciler.

use std::sync::Arc;
use std::time::Duration;

use crate::pipeline_rig::{PipelineRig, RigSettings};
use switchboard_core::{BackendKind, CallState, CallSummary};
use switchboard_engine::history::{CallRecord, call_record};
use switchboard_engine::{CallReports, LiveCalls};
use switchboard_fakes::WebhookDelivery;
use switchboard_fakes::anthropic::scripted;
use switchboard_fakes::twilio_gather::VendorCallee;
use switchboard_providers::twilio::TwilioCallStatus;
use switchboard_store::Store;
use switchboard_telephony::backends::TWILIO_CALL_REF;
use switchboard_telephony::backends::twilio::{TwilioDialer, TwilioDialerSettings};

use super::gather::{self, World};
use super::hosted::{self, RECONCILE};

/// The agents' max duration: the calls are overdue soon after.
const MAX_DURATION_SECS: u32 = 1;

/// The quote agent on the gather backend with a short max duration, its world with Twilio's
/// callbacks delivered as `delivery`, and the dialer's reconciler running when `reconciling`.
async fn gather_world(delivery: WebhookDelivery, reconciling: bool) -> World {
    let store = gather::store_at(None);
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.max_duration_secs = MAX_DURATION_SECS;
    store.update_agent(agent.id, &agent.config).unwrap();
    let world = World::new(&store, Duration::from_secs(5)).await;
    world.twilio.set_delivery(delivery);
    if reconciling {
        world.dialer.spawn_reconciler(world.reports.clone());
    }
    world
}

/// A gather call whose callee hangs up after the opening, its callbacks delivered as `delivery`
/// (the dialer's reconciler runs only when they are dropped, so anything else is surely the
/// callbacks' doing); returns how it ended and its record, with how many callbacks the fake
/// posted.
async fn gather_call_hung_up(delivery: WebhookDelivery) -> (CallSummary, CallRecord, u32) {
    let world = gather_world(delivery, delivery == WebhookDelivery::Dropped).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = VendorCallee::new(&placed, &gather::SIM);
    assert_eq!(driver.step(&mut callee).await, None, "the opening is said and answered");
    drop((driver, placed));
    let summary = gather::ended(world.engine.store(), call).await;
    let record = call_record(world.engine.store(), call).unwrap();
    (summary, record, world.twilio.callbacks_posted())
}

/// How long after it was placed `call` ended.
fn lasted(call: &CallSummary) -> Duration {
    Duration::from_millis(u64::try_from(call.ended_at.unwrap().0 - call.created_at.0).unwrap())
}

/// The earliest a reconciler may end a call: past its max duration and the overdue allowance.
fn overdue() -> Duration {
    Duration::from_secs(u64::from(MAX_DURATION_SECS)) + RECONCILE.overdue
}

#[tokio::test]
async fn a_gather_call_whose_callbacks_are_all_lost_ends_as_its_completed_callback_would_have_it() {
    let (by_callback, _, posted) = gather_call_hung_up(WebhookDelivery::InOrder).await;
    assert!(posted > 0);

    let (reconciled, record, posted) = gather_call_hung_up(WebhookDelivery::Dropped).await;
    assert_eq!(posted, 0, "no callback reached the listener");
    assert!(lasted(&reconciled) >= overdue(), "the reconciler ended it once overdue: {reconciled:?}");
    assert_eq!((reconciled.state, &reconciled.end_reason), (by_callback.state, &by_callback.end_reason));
    assert_eq!(reconciled.end_reason.as_deref(), Some("the call ended (Twilio: completed)"));
    // Twilio's call as fetched is kept, with what it cost.
    let fetched: serde_json::Value = serde_json::from_str(record.provider_record.as_deref().unwrap()).unwrap();
    assert_eq!((fetched["status"].as_str(), fetched["answered_by"].as_str()), (Some("completed"), Some("human")));
    let cost = record.cost.expect("Twilio's price");
    assert!((cost.amount - 0.014).abs() < 1e-9 && cost.currency == "USD", "{cost:?}");
}

#[tokio::test]
async fn a_call_twilio_does_not_know_is_closed_as_lost() {
    let world = gather_world(WebhookDelivery::InOrder, true).await;
    let unknown = "CA0000000000000000000000000000dead";
    let ended = hosted::ended_with_unknown_ref(&world.engine, TWILIO_CALL_REF, unknown).await;
    assert_eq!(ended.state, CallState::Lost);
    assert_eq!(ended.end_reason, Some(format!("Twilio has no call {unknown}")));
}

#[tokio::test]
async fn a_call_twilio_keeps_live_past_give_up_is_lost_and_hung_up() {
    let world = gather_world(WebhookDelivery::InOrder, true).await;
    let mut events = world.engine.bus().subscribe();
    // Answered, and nobody ever speaks or hangs up: Twilio keeps the call in progress.
    let (call, placed, _driver) = world.call("Acme Fasteners").await;
    let ended = super::call_ended(&mut events, call).await;
    assert_eq!(ended.state, CallState::Lost, "{ended:?}");
    let reason = ended.end_reason.clone().unwrap();
    assert!(reason.starts_with("Twilio still had the call live"), "{reason}");
    assert!(lasted(&ended) >= Duration::from_secs(u64::from(MAX_DURATION_SECS)) + RECONCILE.give_up);
    // The call is closed first, then hung up.
    let mut updates = world.twilio.updates();
    for _ in 0..100 {
        if !updates.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        updates = world.twilio.updates();
    }
    let hang_up = vec![("Status".to_owned(), "completed".to_owned())];
    assert_eq!(updates, [(placed.call_sid.clone(), hang_up)], "hung up at Twilio once");
    // Twilio's `completed` for the hang-up comes after the call was closed, and changes nothing.
    let twilio = world.twilio.client(&super::loopback_http()).unwrap();
    for _ in 0..100 {
        if twilio.fetch_call(&placed.call_sid).await.unwrap().status == TwilioCallStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(twilio.fetch_call(&placed.call_sid).await.unwrap().status, TwilioCallStatus::Completed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = world.engine.store().call(call).unwrap().unwrap();
    assert_eq!((after.state, after.end_reason.as_deref()), (CallState::Lost, Some(reason.as_str())));
}

/// A pipeline call whose media stream never connects (the stream presents a wrong token) and
/// whose callee then hangs up, with Twilio's callbacks delivered as `delivery` (the reconcilers
/// run as in the app, either way); returns how it ended, with how many callbacks the fake posted.
async fn pipeline_call_without_its_stream(delivery: WebhookDelivery) -> (CallSummary, u32) {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.backend = BackendKind::Pipeline;
    agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
    agent.config.max_duration_secs = MAX_DURATION_SECS;
    store.update_agent(agent.id, &agent.config).unwrap();
    let settings = RigSettings {
        responder: scripted(Vec::new()),
        ms_per_char: 10,
        script: Vec::new(),
        wrong_token: true,
        keep_audio: false,
    };
    let mut rig = PipelineRig::start_reconciling(store, None, settings, RECONCILE).await.unwrap();
    rig.twilio.set_delivery(delivery);
    let engine = Arc::clone(rig.engine());
    let vendor = hosted::vendor(&engine, "Acme Fasteners");
    let mut events = engine.bus().subscribe();
    let call = engine.start_quote_call(vendor, agent.id, &crate::quote_request()).await.unwrap();
    let placed = tokio::time::timeout(Duration::from_secs(10), rig.next_placed()).await.unwrap().unwrap();
    let media = tokio::time::timeout(Duration::from_secs(10), placed.stream.unwrap().finish()).await.unwrap().unwrap();
    assert!(media.closed_by_listener, "the stream was refused");
    assert_eq!(media.close_code, Some(1008), "with the reason, as a policy violation");
    // The stream closed with no TwiML after it: Twilio completes the call.
    let ended = super::call_ended(&mut events, call.id).await;
    assert_eq!(rig.sessions().waiting(), 0, "the call was taken back from the registry");
    (ended, rig.twilio.callbacks_posted())
}

#[tokio::test]
async fn a_pipeline_call_that_never_got_its_stream_and_lost_its_callbacks_ends_as_they_would_have_it() {
    let (by_callback, posted) = pipeline_call_without_its_stream(WebhookDelivery::InOrder).await;
    assert!(posted > 0);

    let (reconciled, posted) = pipeline_call_without_its_stream(WebhookDelivery::Dropped).await;
    assert_eq!(posted, 0, "no callback reached the listener");
    assert!(lasted(&reconciled) >= overdue(), "the reconciler ended it once overdue: {reconciled:?}");
    assert_eq!((reconciled.state, &reconciled.end_reason), (by_callback.state, &by_callback.end_reason));
    assert_eq!(reconciled.state, CallState::Completed);
}

#[tokio::test]
async fn a_gather_call_that_ended_while_the_app_was_down_is_ended_by_the_restarted_apps_reconciler() {
    let world = gather_world(WebhookDelivery::InOrder, false).await;
    let (call, placed, mut driver) = world.call("Acme Fasteners").await;
    let mut callee = VendorCallee::new(&placed, &gather::SIM);
    assert_eq!(driver.step(&mut callee).await, None);
    // The app stops; meanwhile the callee hangs up, and Twilio's callbacks find no listener.
    world.twilio.set_delivery(WebhookDelivery::Dropped);
    drop((driver, placed));

    // The app starts again: a new dialer over fresh live calls, no call task listening.
    let store = world.engine.store();
    let live = LiveCalls::default();
    let reports = CallReports::new(Arc::clone(store), world.engine.bus().clone(), live.clone(), None);
    let settings = TwilioDialerSettings {
        from_number: gather::FROM.into(),
        public_base_url: gather::PUBLIC.into(),
        reconcile: RECONCILE,
    };
    let client = world.twilio.client(&super::loopback_http()).unwrap();
    let dialer = TwilioDialer::new(client, Arc::clone(store), live, settings);
    assert!(!store.call(call).unwrap().unwrap().state.is_terminal(), "the call waits for its end");
    let mut ended = 0;
    for _ in 0..50 {
        ended = dialer.reconcile(&reports).await.unwrap();
        if ended > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ended, 1);
    let summary = store.call(call).unwrap().unwrap();
    assert_eq!(
        (summary.state, summary.end_reason.as_deref()),
        (CallState::Completed, Some("the call ended (Twilio: completed)"))
    );
    assert!(
        summary.answered_at.is_some() && !store.transcript(call).unwrap().is_empty(),
        "the call before the restart stays"
    );
}
