//! The realistic cast in a campaign: unanswered, busy and voicemail calls are retried, declines
//! and call-back requests end with their reason, and voicemail follows the agent's policy.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, Speaker, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_sim::{SimSettings, Simulator};
use switchboard_store::Store;

#[tokio::test]
async fn a_realistic_run_retries_what_did_not_connect_and_records_every_reason() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let vendors = switchboard_fakes::fixtures::vendor_writes(40, 216);
    let ids: Vec<_> = store.write_contacts(&vendors, UnixMillis(1)).unwrap().into_iter().map(Result::unwrap).collect();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().id;

    let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    engine.register_backend(Arc::new(Simulator::new(SimSettings { time_scale: 2_000.0, ..SimSettings::default() })));
    let engine = Arc::new(engine);
    let spec = CampaignSpec {
        name: "realistic".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: ids,
        concurrency: 10,
        max_attempts: 3,
        retry_spacing_ms: 5,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(500)),
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    while store.campaign(id).unwrap().unwrap().status == "running" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let calls = store.calls_in_campaign(id).unwrap();
    let states: BTreeSet<&str> = calls.iter().map(|c| c.state.as_str()).collect();
    for expected in ["completed", "no-answer", "busy", "voicemail"] {
        assert!(states.contains(expected), "{expected} among {states:?}");
    }
    assert!(calls.len() > 40, "calls that did not connect were tried again");
    assert!(calls.iter().all(|c| c.attempt.unwrap() <= 3));

    let targets = store.campaign_targets(id, 1).unwrap();
    assert!(targets.iter().all(|t| t.status == "done"));
    let outcomes: Vec<&str> = targets.iter().filter_map(|t| t.outcome.as_deref()).collect();
    assert!(outcomes.iter().any(|o| o.contains("declined")), "{outcomes:?}");
    assert!(outcomes.iter().any(|o| o.contains("called back")), "{outcomes:?}");

    // The quote agent's policy is to leave a message: the machine's greeting, then the message.
    let voicemail = calls.iter().find(|c| c.state == CallState::Voicemail).unwrap();
    let lines = store.transcript(voicemail.id).unwrap();
    assert_eq!(lines[0].speaker, Speaker::Callee);
    assert!(lines[0].text.contains("leave a message"));
    assert!(lines[1].text.starts_with("Hi, this is a message for Vendor"), "{}", lines[1].text);
    assert_eq!(voicemail.end_reason.as_deref(), Some("reached voicemail and left the agent's message"));
}

#[tokio::test]
async fn a_contact_outside_the_calling_window_waits_scheduled_for_its_opening() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let mut quote = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap().config;
    // A window that opens two hours from now (UTC), every day.
    let hour = (jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).hour() + 2) % 24;
    quote.name = "Later".into();
    quote.calling_window = switchboard_core::CallingWindow {
        start: format!("{hour:02}:00"),
        end: if hour == 23 { "23:59".into() } else { format!("{:02}:00", hour + 1) },
        days: (1..=7).collect(),
    };
    let agent = store.insert_agent(&quote, UnixMillis(2)).unwrap();
    let mut fields = store.list_contacts().unwrap().remove(0).fields;
    fields.time_zone = Some("UTC".into());
    let contact =
        store.insert_contact(&fields, Some(&switchboard_core::Phone::plain("+13125559999")), UnixMillis(3)).unwrap();

    let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    engine.register_backend(Arc::new(Simulator::new(SimSettings { time_scale: 2_000.0, ..SimSettings::default() })));
    let engine = Arc::new(engine);
    let spec = CampaignSpec {
        name: "later".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent,
        negotiation_agent_id: None,
        contacts: vec![contact],
        concurrency: 1,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: false,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(500)),
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let target = store.campaign_targets(id, 1).unwrap().remove(0);
    assert_eq!((target.status.as_str(), target.attempts), ("pending", 0), "not called yet");
    let opens = target.next_attempt_at.expect("scheduled").0;
    let wait_minutes = (opens - switchboard_engine::now().0) / 60_000;
    assert!((60..=120).contains(&wait_minutes), "opens in about 1–2 hours, got {wait_minutes} min");
    assert!(target.outcome.unwrap().starts_with("outside the calling window; scheduled for "));
    assert!(store.calls_in_campaign(id).unwrap().is_empty());
    assert!(store.cancel_campaign(id, false, UnixMillis(4)).unwrap());
}
