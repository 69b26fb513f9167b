//! The simulator behind the real engine and store: a whole quote call, start to finish.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, Speaker};
use switchboard_engine::{Engine, EngineEvent, EngineSettings};
use switchboard_fakes::fixtures::bolts_request;
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

mod budget;
mod campaign;
mod crash_points;
mod driver_batch;
mod history;
mod profile;
mod realistic;
mod recording_upload;
mod rehearsal;
mod restarts;
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

fn engine(time_scale: f64) -> Engine {
    engine_on(Store::open_in_memory().unwrap(), time_scale)
}

/// The engine with the simulator on `store`, seeded.
fn engine_on(store: Store, time_scale: f64) -> Engine {
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
    let call = engine.start_quote_call(contact.id, agent.id, &bolts_request(10_000)).await.unwrap();

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
        let call = engine.start_quote_call(contact.id, agent.id, &bolts_request(10_000)).await.unwrap();
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
