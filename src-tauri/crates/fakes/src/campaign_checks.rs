//! Checks of a finished quote campaign, shared by the tests that kill, crash or starve the
//! processes running one: the promises it keeps whatever happened to them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use switchboard_core::{CallState, CallSummary, ContactId, Decision, RoundQuote, plan_negotiation};
use switchboard_engine::campaigns::{CampaignResult, CampaignSpec};
use switchboard_store::Store;

/// The vendors round 2 should call: round 1's quotes planned on landed cost, weighed on the
/// vendors' own request (the campaign has none) at the default rate, as the runner did.
pub fn planned_round_two(
    store: &Store,
    campaign: &switchboard_store::CampaignRow,
    spec: &CampaignSpec,
) -> BTreeSet<ContactId> {
    let round_one: Vec<RoundQuote> = store
        .campaign_offers(campaign.id)
        .unwrap()
        .into_iter()
        .filter(|(round, ..)| *round == 1)
        .map(|(round, vendor, offer)| RoundQuote { vendor, round, offer, quoted_on: None, fields: Default::default() })
        .collect();
    let request = spec.request.clone().unwrap();
    let rate = switchboard_engine::settings::DEFAULT_PAYMENT_TERMS_RATE / 100.0;
    let today = jiff::Zoned::now().date();
    let plan = plan_negotiation(&round_one, &Decision { request: &request, annual_rate: rate, today });
    plan.iter().flat_map(|p| &p.targets).map(|t| t.contact_id).collect()
}

/// Checks the promises a finished campaign keeps whatever happened to its process (the store's
/// first campaign): every call terminal with a reason, attempts within the limit, no two calls
/// of one vendor and round on the line at once, never more calls on the line than the campaign
/// allows at once (whichever process or node placed them), one completed call and one offer per
/// vendor and round, round 2 exactly the vendors above round 1's best landed cost, the summary equal to
/// the offers.
pub fn assert_campaign_whole(store: &Store, context: &str) {
    let campaign = store.list_campaigns().unwrap().remove(0);
    assert_eq!(campaign.status, "completed", "{context}");
    let spec: CampaignSpec = serde_json::from_str(&campaign.spec).unwrap();
    let calls = store.calls_in_campaign(campaign.id).unwrap();
    for call in &calls {
        assert!(
            call.state.is_terminal() && call.end_reason.is_some(),
            "{context}: call {} open or unexplained",
            call.id
        );
    }
    let mut dialled: HashMap<(ContactId, u8), u32> = HashMap::new();
    let mut completed: HashMap<(ContactId, u8), u32> = HashMap::new();
    for call in &calls {
        *dialled.entry((call.contact_id, call.round.unwrap())).or_default() += 1;
        if call.state == CallState::Completed {
            *completed.entry((call.contact_id, call.round.unwrap())).or_default() += 1;
        }
    }
    assert!(dialled.values().all(|n| *n <= spec.max_attempts), "{context}: dialled more than the limit: {dialled:?}");
    assert!(completed.values().all(|n| *n == 1), "{context}: a vendor completed twice in a round: {completed:?}");
    assert_no_overlap(&calls, context);
    let most = most_on_the_line(&calls);
    assert!(most <= spec.concurrency, "{context}: {most} calls on the line at once, the limit {}", spec.concurrency);
    for round in 1..=campaign.round {
        for target in store.campaign_targets(campaign.id, round).unwrap() {
            assert!(target.attempts <= spec.max_attempts, "{context}: {target:?}");
            assert_eq!(target.status, "done", "{context}: {target:?}");
        }
    }

    // Every offer in the store, per vendor and round (not the deduplicated campaign view).
    let round_of: HashMap<_, _> = calls.iter().map(|c| (c.id, c.round.unwrap())).collect();
    let mut offers = BTreeMap::new();
    for offer in store.list_offers().unwrap().into_iter().filter(|o| round_of.contains_key(&o.call_id)) {
        let key = (offer.contact_id, round_of[&offer.call_id]);
        assert!(offers.insert(key, offer).is_none(), "{context}: two offers for {key:?}");
    }
    let price = |contact, round| offers.get(&(contact, round)).and_then(|o: &switchboard_core::Offer| o.unit_price);
    let above = planned_round_two(store, &campaign, &spec);
    let round_two: BTreeSet<ContactId> =
        store.campaign_targets(campaign.id, 2).unwrap().iter().map(|t| t.contact_id).collect();
    assert_eq!(round_two, above, "{context}: round 2 is exactly the vendors above round 1's best landed cost");

    let CampaignResult::Quotes(summary) = serde_json::from_str(campaign.summary.as_deref().unwrap()).unwrap() else {
        panic!("a quote summary")
    };
    let quoted: BTreeSet<ContactId> = offers.keys().map(|(contact, _)| *contact).collect();
    let ranked: BTreeSet<ContactId> = summary.ranked.iter().map(|r| r.offer.contact_id).collect();
    assert_eq!(ranked, quoted, "{context}: the summary ranks every vendor that quoted, once");
    for ranked in &summary.ranked {
        let round = if price(ranked.offer.contact_id, 2).is_some() { 2 } else { 1 };
        let offer = &offers[&(ranked.offer.contact_id, round)];
        assert_eq!((ranked.round, ranked.offer.call_id), (round, offer.call_id), "{context}: {ranked:?}");
        assert_eq!(ranked.offer.unit_price, offer.unit_price, "{context}: {ranked:?}");
    }
}

/// No two calls of one vendor and round were on the line at once (a call's span runs from its
/// creation to its end).
pub fn assert_no_overlap(calls: &[CallSummary], context: &str) {
    let mut spans: BTreeMap<(ContactId, u8), Vec<&CallSummary>> = BTreeMap::new();
    for call in calls {
        spans.entry((call.contact_id, call.round.unwrap_or_default())).or_default().push(call);
    }
    for ((contact, round), mut calls) in spans {
        calls.sort_by_key(|call| (call.created_at, call.id));
        for pair in calls.windows(2) {
            let ended = pair[0].ended_at.map_or(i64::MAX, |at| at.0);
            assert!(
                ended <= pair[1].created_at.0,
                "{context}: vendor {contact} was dialled in round {round} while call {} was still on the line: {:?}",
                pair[0].id,
                pair.iter().map(|c| (c.id, c.attempt, c.created_at, c.ended_at)).collect::<Vec<_>>()
            );
        }
    }
}

/// The most calls on the line at one moment (a call's span runs from its creation to its end;
/// one ending as another starts are not both on the line).
fn most_on_the_line(calls: &[CallSummary]) -> u32 {
    let mut edges: Vec<(i64, i32)> = calls
        .iter()
        .flat_map(|call| [(call.created_at.0, 1), (call.ended_at.map_or(i64::MAX, |at| at.0), -1)])
        .collect();
    // At one instant the ends come first (-1 sorts before +1).
    edges.sort_unstable();
    let (mut on, mut most) = (0i32, 0i32);
    for (_, change) in edges {
        on += change;
        most = most.max(on);
    }
    most.unsigned_abs()
}
