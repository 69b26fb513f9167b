//! The simulator behind the real engine and store: a whole quote call, start to finish.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{AgentId, CallId, CallState, CallSummary, ContactId, Speaker};
use switchboard_engine::campaigns::{CampaignKind, CampaignResult, CampaignSpec};
use switchboard_engine::{ENDED_BY_DISPATCHER, Engine, EngineEvent, EngineSettings};
use switchboard_fakes::twilio::{FakeTwilio, Form};
use switchboard_providers::{HttpSettings, RetryPolicy};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::{Store, TargetRow};
use tokio::sync::broadcast;

mod campaign;
mod crash_points;
mod dialer_reconcile;
mod elevenlabs;
mod gather;
mod history;
mod hosted;
mod keys_live;
mod listen;
mod listen_hosted;
mod pipeline;
mod pipeline_rig;
mod profile;
mod realistic;
mod restarts;
mod ultravox;
mod vapi;
mod write_failures;

/// Seeds the shipped quote and negotiation agents and the sample vendors.
pub fn seed(store: &Store) {
    let file = |name, json| switchboard_engine::sample::SampleFile { name, json };
    let seeded = switchboard_engine::sample::seed_once(
        store,
        &[
            file("vendor-quote.json", include_str!("../../../../../assets/presets/vendor-quote.json")),
            file("vendor-negotiation.json", include_str!("../../../../../assets/presets/vendor-negotiation.json")),
        ],
        &[file("vendors.json", include_str!("../../../../../assets/sample/vendors.json"))],
    );
    assert!(seeded.unwrap());
}

/// Seeds the shipped driver-violation agent and the sample drivers.
pub fn seed_drivers(store: &Store) {
    let file = |name, json| switchboard_engine::sample::SampleFile { name, json };
    let seeded = switchboard_engine::sample::seed_once(
        store,
        &[file("driver-violation.json", include_str!("../../../../../assets/presets/driver-violation.json"))],
        &[file("drivers.json", include_str!("../../../../../assets/sample/drivers.json"))],
    );
    assert!(seeded.unwrap());
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

/// A two-round-capable vendor quote campaign over `contacts`, one attempt each, at any hour.
pub fn quote_campaign(
    name: &str,
    agent_id: AgentId,
    negotiation_agent_id: Option<AgentId>,
    contacts: Vec<ContactId>,
    concurrency: u32,
) -> CampaignSpec {
    CampaignSpec {
        name: name.to_owned(),
        kind: CampaignKind::VendorQuote,
        agent_id,
        negotiation_agent_id,
        contacts,
        concurrency,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
    }
}

/// Both rounds over every seeded vendor, three calls at once: quotes with `quote`, then
/// `negotiation` for the vendors above the best price.
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

fn engine(time_scale: f64) -> Engine {
    let store = Store::open_in_memory().unwrap();
    seed(&store);
    let mut engine = Engine::new(Arc::new(store), EngineSettings::default());
    let settings = SimSettings { time_scale, cast: Cast::Cooperative, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(settings)));
    engine
}

#[tokio::test]
async fn a_simulated_quote_call_completes_with_a_full_offer() {
    let engine = engine(500.0);
    let mut events = engine.bus().subscribe();
    let contact =
        engine.store().list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Pacific Bolt & Nut").unwrap();
    let agent = engine.store().list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let call = engine.start_call(contact.id, agent.id).await.unwrap();

    let mut lines_published = 0;
    let ended = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
        match &*event {
            EngineEvent::TranscriptLine { call_id, .. } if *call_id == call.id => lines_published += 1,
            EngineEvent::CallUpdated { call: c } if c.state.is_terminal() => break c.clone(),
            _ => {}
        }
    };
    assert_eq!(ended.state, CallState::Completed);
    assert!(ended.answered_at.is_some() && ended.ended_at.is_some());

    let transcript = engine.store().transcript(call.id).unwrap();
    assert_eq!(transcript.len(), lines_published);
    // Greeting and reply, a question and answer per data field, and goodbyes.
    assert_eq!(transcript.len(), 2 + 2 * agent.config.data_fields.len() + 2);
    for (i, line) in transcript.iter().enumerate() {
        assert_eq!(line.speaker, if i % 2 == 0 { Speaker::Agent } else { Speaker::Callee }, "{line:?}");
        assert_eq!(line.seq as usize, i);
    }
    assert!(transcript.windows(2).all(|w| w[1].offset_ms > w[0].offset_ms), "call time moves forward");
    // At 160 words a minute plus a pause per turn, each line starts when the words before it end.
    let mut starts_at = 0.0;
    for line in &transcript {
        starts_at += 600.0;
        assert!((f64::from(line.offset_ms) - starts_at).abs() < 5.0, "{line:?} starts at {starts_at} ms");
        starts_at += line.text.split_whitespace().count() as f64 * 375.0;
    }

    let offer = engine.store().offer(call.id).unwrap().expect("a full quote");
    assert_eq!(offer.confidence, 1.0);
    let price = offer.unit_price.unwrap();
    assert!(transcript.iter().any(|l| l.text.contains(&format!("${price:.2} per unit"))), "the offer is what was said");
    assert!(transcript[0].text.contains("Pacific Bolt & Nut"));
}

#[tokio::test]
async fn the_same_vendor_quotes_the_same_price_every_time() {
    let engine = engine(1000.0);
    let contact =
        engine.store().list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let agent = engine.store().list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let mut prices = Vec::new();
    for _ in 0..2 {
        let mut events = engine.bus().subscribe();
        let call = engine.start_call(contact.id, agent.id).await.unwrap();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
            if matches!(&*event, EngineEvent::CallUpdated { call: c } if c.id == call.id && c.state.is_terminal()) {
                break;
            }
        }
        prices.push(engine.store().offer(call.id).unwrap().unwrap().unit_price);
    }
    assert_eq!(prices[0], prices[1]);
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
