//! Integration tests of the telephony side over real loopback sockets and a real store: the
//! listener, and the hosted backends, speech-gather and the realtime pipeline end to end
//! against the provider fakes (`switchboard-fakes`).

mod call_control;
mod dialer_reconcile;
mod elevenlabs;
mod gather;
mod hosted;
mod keys_live;
mod listen;
mod listen_hosted;
mod listener;
mod pipeline;
mod pipeline_rig;
mod rehearsal;
mod rehearsal_audio;
mod rehearsal_provider;
mod ultravox;
mod vapi;

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{AgentId, CallId, CallState, CallSummary};
use switchboard_engine::campaigns::{CampaignResult, CampaignSpec};
use switchboard_engine::{ENDED_BY_DISPATCHER, Engine, EngineEvent};
use switchboard_fakes::fixtures::quote_campaign;
use switchboard_fakes::twilio::{FakeTwilio, Form};
use switchboard_providers::{HttpSettings, RetryPolicy};
use switchboard_store::{Store, TargetRow};
use tokio::sync::broadcast;

/// Seeds the shipped quote and negotiation agents (in that order) and the sample vendors.
pub fn seed(store: &Store) {
    use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
    assert!(seed_once(store, &PRESETS[..2], &SAMPLE_CONTACTS[..1]).unwrap());
}

/// HTTP settings for clients of the loopback fakes: short timeouts, quick retries.
pub fn loopback_http() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
    }
}

/// Both rounds over every seeded vendor, three calls at once: quotes with `quote`, then
/// `negotiation` for the vendors above the best price.
/// What a single quote call in these tests asks for (a call outside a campaign has no request).
pub fn quote_request() -> switchboard_core::QuoteRequest {
    switchboard_fakes::fixtures::bolts_request(10_000)
}

pub fn two_round_quote_campaign(name: &str, quote: AgentId, negotiation: AgentId, store: &Store) -> CampaignSpec {
    let contacts = store.list_contacts().unwrap().into_iter().map(|c| c.id).collect();
    quote_campaign(name, quote, Some(negotiation), contacts, 3)
}

/// Checks a finished two-round quote campaign: every seeded vendor quoted, an order recommended,
/// round two called the vendors above the best price; returns its calls and round two's targets.
pub fn assert_both_rounds_ranked(store: &Store, id: i64) -> (Vec<CallSummary>, Vec<TargetRow>) {
    let campaign = store.campaign(id).unwrap().unwrap();
    let CampaignResult::Quotes(summary) = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap() else {
        panic!("a quote summary")
    };
    assert_eq!((summary.suppliers_called, summary.quotes_received), (4, 4));
    assert!(summary.recommendation.starts_with("Order from"), "{}", summary.recommendation);
    let round_two = store.campaign_targets(id, 2).unwrap();
    assert!(!round_two.is_empty(), "vendors above the best price are called again");
    let calls = store.calls_in_campaign(id).unwrap();
    assert_eq!(calls.len(), 4 + round_two.len());
    (calls, round_two)
}

/// Launches `spec` on `engine` and waits until the campaign completes (a minute at most between
/// events).
pub async fn run_campaign(engine: &Arc<Engine>, spec: CampaignSpec) -> i64 {
    let mut events = engine.bus().subscribe();
    let id = engine.launch_campaign(spec).await.unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv()).await.expect("campaign ends").unwrap();
        if matches!(&*event, EngineEvent::CampaignUpdated { campaign_id, status, .. } if *campaign_id == id && status == "completed")
        {
            return id;
        }
    }
}

/// Launches `spec` (over one contact), waits for its call to be in progress, then cancels the
/// campaign ending its calls; returns the campaign and the call, ended by the dispatcher.
pub async fn campaign_call_ended_by_dispatcher(engine: &Arc<Engine>, spec: CampaignSpec) -> (i64, CallSummary) {
    let id = engine.launch_campaign(spec).await.unwrap();
    let mut on_line = None;
    for _ in 0..500 {
        let calls = engine.store().calls_in_campaign(id).unwrap();
        on_line = calls.into_iter().find(|call| call.state == CallState::InProgress);
        if on_line.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let call = on_line.expect("the campaign's call is answered");
    let report = engine.cancel_campaign(id, true).await.unwrap();
    assert_eq!((report.ended, report.left), (vec![call.id], Vec::new()));
    let ended = gather::ended(engine.store(), call.id).await;
    assert_eq!((ended.state, ended.end_reason.as_deref()), (CallState::Canceled, Some(ENDED_BY_DISPATCHER)));
    (id, ended)
}

/// Checks that the fake Twilio was asked to hang up call `sid` once, and nothing else, given
/// time for a late request to arrive.
pub async fn assert_hung_up_once(twilio: &FakeTwilio, sid: &str) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let updates: Vec<_> = twilio.updates().into_iter().filter(|(to, _)| to == sid).map(|(_, form)| form).collect();
    let status =
        |form: &Form| form.iter().find(|(key, _)| key == "Status").map(|(_, value)| value.clone()).unwrap_or_default();
    assert_eq!(updates.iter().map(status).collect::<Vec<_>>(), ["completed"], "{updates:?}");
}

/// Waits (10 s at most) for `call` to be published as ended; returns it as it ended.
pub async fn call_ended(events: &mut broadcast::Receiver<Arc<EngineEvent>>, call: CallId) -> CallSummary {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("the call ends").unwrap();
        if let EngineEvent::CallUpdated { call: updated } = &*event
            && updated.id == call
            && updated.state.is_terminal()
        {
            break updated.clone();
        }
    }
}
