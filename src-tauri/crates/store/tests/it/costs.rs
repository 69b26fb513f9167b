//! Call costs: a call priced in the transaction that ends it, a provider's figure kept beside its
//! dollar price, and what a campaign spent.

use switchboard_core::{
    BackendKind, CallCost, CallPrice, CallState, CallUsage, CostRates, Pricing, PricingBasis, Speaker, TranscriptLine,
    UnixMillis,
};
use switchboard_store::{CallProgress, NewCall, Store};

use crate::{TestDb, seeded};

fn placed(store: &Store, campaign: Option<i64>) -> switchboard_core::CallId {
    let agent = store.list_agents().unwrap()[0].id;
    let contact = &store.list_contacts().unwrap()[0];
    let new = NewCall {
        contact_id: contact.id,
        agent_id: agent,
        backend: BackendKind::Simulator,
        phone_e164: "+13125550143".into(),
        created_at: UnixMillis(1_000),
        campaign: campaign.map(|id| (id, 1, 1)),
    };
    store.insert_call(&new).unwrap().id
}

fn simulated(priced_as: BackendKind, system_prompt_chars: u64) -> Pricing {
    Pricing {
        basis: PricingBasis::Simulated { priced_as, system_prompt_chars },
        usage: CallUsage::default(),
        rates: CostRates::default(),
    }
}

fn a_call_is_priced_with_its_end_from_its_time_on_the_line_and_its_words(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let id = placed(&store, None);
    store.advance_call(id, CallState::InProgress, None, UnixMillis(10_000)).unwrap();
    let progress = CallProgress {
        lines: vec![
            TranscriptLine { seq: 0, speaker: Speaker::Agent, text: "a".repeat(40), offset_ms: 0 },
            TranscriptLine { seq: 1, speaker: Speaker::Callee, text: "c".repeat(20), offset_ms: 1_000 },
        ],
        ..CallProgress::default()
    };
    let pricing = simulated(BackendKind::Vapi, 400);
    // Answered at 10 s, ended at 71 s: 61 s on the line, 2 started minutes × $0.05 on Vapi.
    store.end_call(id, CallState::Completed, "done", UnixMillis(71_000), &progress, Some(&pricing)).unwrap();
    let price = store.call_price(id).unwrap().expect("priced with the end");
    assert!((price.total_usd - 0.1).abs() < 1e-9, "{price:?}");
    assert!(price.estimate);
    assert_eq!(price.items.len(), 1);
    assert_eq!((price.items[0].item.as_str(), price.items[0].quantity), ("Vapi minutes", 2.0));

    let later = simulated(BackendKind::Pipeline, 0);
    store.end_call(id, CallState::Failed, "late", UnixMillis(99_000), &CallProgress::default(), Some(&later)).unwrap();
    assert_eq!(store.call_price(id).unwrap(), Some(price), "a late end does not price the call again");
}

fn an_unanswered_call_costs_nothing_and_an_unpriced_one_is_unknown(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let id = placed(&store, None);
    assert_eq!(store.call_price(id).unwrap(), None, "unknown while not priced");
    let pricing = Pricing {
        basis: PricingBasis::Usage(BackendKind::Pipeline),
        usage: CallUsage::default(),
        rates: CostRates::default(),
    };
    store
        .end_call(id, CallState::NoAnswer, "no answer", UnixMillis(30_000), &CallProgress::default(), Some(&pricing))
        .unwrap();
    let price = store.call_price(id).unwrap().unwrap();
    assert_eq!(price.total_usd, 0.0);
    assert!(!price.estimate);
}

fn a_providers_figure_is_kept_beside_its_dollar_price_and_campaigns_sum_what_they_spent(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let contacts: Vec<_> = store.list_contacts().unwrap().iter().map(|c| c.id).collect();
    let campaign =
        store.insert_campaign("c", "vendor-quote", r#"{"budgetUsd": 2.5}"#, &contacts, UnixMillis(1)).unwrap();
    assert_eq!(store.campaign(campaign).unwrap().unwrap().budget_usd, Some(2.5), "the spec's budget");
    assert!(store.pause_campaign_for_budget(campaign).unwrap());
    let paused = store.campaign(campaign).unwrap().unwrap();
    assert_eq!((paused.status.as_str(), paused.status_reason.as_deref()), ("paused", Some("budget reached")));
    assert!(!store.pause_campaign_for_budget(campaign).unwrap(), "only a running campaign pauses for its budget");
    assert!(store.resume_campaign_with_budget(campaign, Some(4.0)).unwrap());
    let resumed = store.campaign(campaign).unwrap().unwrap();
    assert_eq!((resumed.status.as_str(), resumed.status_reason, resumed.budget_usd), ("running", None, Some(4.0)));
    let first = placed(&store, Some(campaign));
    let second = placed(&store, Some(campaign));
    let _unpriced = placed(&store, Some(campaign));
    let elsewhere = placed(&store, None);
    let credits = CallCost { amount: 1_000.0, currency: "credits".into() };
    let price = CallPrice::reported(BackendKind::ElevenLabs, 1_000.0, "credits", &CostRates::default());
    store.set_call_cost(first, &credits, price.as_ref()).unwrap();
    assert_eq!(store.provider_facts(first).unwrap().cost, Some(credits));
    assert!((store.call_price(first).unwrap().unwrap().total_usd - 0.22).abs() < 1e-9);
    store.set_call_price(second, &CallPrice { total_usd: 0.3, estimate: true, items: vec![] }).unwrap();
    store.set_call_price(elsewhere, &CallPrice { total_usd: 9.0, estimate: true, items: vec![] }).unwrap();
    let spending = store.campaign_spending(campaign).unwrap();
    assert_eq!(spending.len(), 1);
    assert!((spending[0].spent_usd - 0.52).abs() < 1e-9, "{spending:?}");
    assert_eq!((spending[0].round, spending[0].calls, spending[0].estimate), (1, 2, true));
}

on_both!(
    a_call_is_priced_with_its_end_from_its_time_on_the_line_and_its_words,
    an_unanswered_call_costs_nothing_and_an_unpriced_one_is_unknown,
    a_providers_figure_is_kept_beside_its_dollar_price_and_campaigns_sum_what_they_spent,
);
