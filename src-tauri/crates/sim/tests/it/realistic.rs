//! The realistic cast in a campaign: unanswered, busy and voicemail calls are retried, declines
//! and call-back requests end with their reason, and voicemail follows the agent's policy.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, ContactDetails, ContactFields, Speaker, UnixMillis, VendorDetails};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_sim::{SimSettings, Simulator};
use switchboard_store::{ContactWrite, Store};

#[tokio::test]
async fn a_realistic_run_retries_what_did_not_connect_and_records_every_reason() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let vendors: Vec<ContactWrite> = (0..40)
        .map(|i| {
            let phone = format!("+1216555{:04}", 3000 + i);
            let details =
                VendorDetails { item: "bolts".into(), quantity: 500, target_price: Some(0.42), ..Default::default() };
            let fields = ContactFields {
                name: format!("Vendor {i:02}"),
                phone: phone.clone(),
                tags: vec![],
                time_zone: None,
                do_not_call: false,
                custom: Default::default(),
                details: ContactDetails::Vendor(details),
            };
            ContactWrite::Insert { fields, phone_e164: Some(phone) }
        })
        .collect();
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
