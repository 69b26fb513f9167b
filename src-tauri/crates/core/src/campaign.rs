//! Vendor quote campaigns as pure logic: who gets a second, negotiation round, and the summary
//! (best offer per vendor, ranking, savings, lead time, recommendation) once rounds are done.

use serde::{Deserialize, Serialize};

use crate::{ContactId, Offer};

/// A quote one vendor gave in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoundQuote {
    pub vendor: String,
    pub round: u8,
    pub offer: Offer,
}

/// One vendor to call again in round 2, with what it quoted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NegotiationTarget {
    pub contact_id: ContactId,
    pub their_price: f64,
}

/// Round 2: every vendor above the best price, and the context the negotiation agent needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NegotiationPlan {
    pub best_price: f64,
    pub best_contact: ContactId,
    pub best_vendor: String,
    pub targets: Vec<NegotiationTarget>,
}

/// Decides round 2 from round 1's quotes: `None` (straight to the summary) when fewer than two
/// vendors gave a price or every price is the same.
pub fn plan_negotiation(round_one: &[RoundQuote]) -> Option<NegotiationPlan> {
    let priced: Vec<(&RoundQuote, f64)> =
        round_one.iter().filter_map(|q| q.offer.unit_price.map(|price| (q, price))).collect();
    if priced.len() < 2 {
        return None;
    }
    let (best, best_price) = priced.iter().copied().min_by(|a, b| compare_offers(&a.0.offer, &b.0.offer))?;
    let targets: Vec<NegotiationTarget> = priced
        .iter()
        .filter(|(_, price)| *price > best_price)
        .map(|(q, price)| NegotiationTarget { contact_id: q.offer.contact_id, their_price: *price })
        .collect();
    if targets.is_empty() {
        return None;
    }
    Some(NegotiationPlan { best_price, best_contact: best.offer.contact_id, best_vendor: best.vendor.clone(), targets })
}

/// Offers in rank order: unit price, then lead time (unknown last), then the earlier contact.
fn compare_offers(a: &Offer, b: &Offer) -> std::cmp::Ordering {
    let price = |o: &Offer| o.unit_price.unwrap_or(f64::INFINITY);
    let lead = |o: &Offer| o.lead_time_days.unwrap_or(u32::MAX);
    price(a).total_cmp(&price(b)).then(lead(a).cmp(&lead(b))).then(a.contact_id.cmp(&b.contact_id))
}

/// What a vendor quoted in one round (no price when they gave none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoundPrice {
    pub round: u8,
    pub unit_price: Option<f64>,
}

/// A vendor's final offer in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RankedOffer {
    pub rank: u32,
    pub vendor: String,
    /// The round the offer comes from (2 when the negotiation produced a price).
    pub round: u8,
    /// The vendor's quote in every round they gave one, in round order (summaries stored before
    /// this was kept have none).
    #[serde(default)]
    pub round_prices: Vec<RoundPrice>,
    pub offer: Offer,
}

impl RankedOffer {
    /// The price quoted in `round`, if the vendor gave one (a summary stored before every round
    /// was kept knows only the final offer's round).
    pub fn price_in(&self, round: u8) -> Option<f64> {
        if self.round_prices.is_empty() {
            return self.offer.unit_price.filter(|_| round == self.round);
        }
        self.round_prices.iter().find(|p| p.round == round).and_then(|p| p.unit_price)
    }

    /// The vendor's earlier price, when a later round changed it.
    pub fn earlier_price(&self) -> Option<f64> {
        self.round_prices
            .iter()
            .filter(|p| p.round < self.round)
            .find_map(|p| p.unit_price)
            .filter(|price| Some(*price) != self.offer.unit_price)
    }
}

/// What a finished vendor quote campaign yielded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct QuoteSummary {
    /// Best offer per vendor, ranked (unpriced offers last).
    pub ranked: Vec<RankedOffer>,
    pub suppliers_called: u32,
    pub quotes_received: u32,
    /// The highest unit price quoted in any round.
    pub highest_price: Option<f64>,
    /// Highest quote minus the best final price, per unit.
    pub savings_per_unit: Option<f64>,
    /// `savings_per_unit` times the quantity asked for.
    pub savings_total: Option<f64>,
    /// Savings as a share of the highest quote, 0–100.
    pub savings_percent: Option<f64>,
    pub average_lead_time_days: Option<f64>,
    pub recommendation: String,
    pub next_steps: Vec<String>,
}

/// Summarises a campaign's quotes (both rounds). `suppliers_called` counts vendors dialled in
/// round 1; `quantity` is what was asked for; `unanswered` names vendors with no quote.
pub fn summarize_quotes(
    quotes: &[RoundQuote],
    suppliers_called: u32,
    quantity: Option<u32>,
    unanswered: &[String],
) -> QuoteSummary {
    // Best offer per vendor: a priced round-2 offer supersedes round 1. Every round's price is
    // kept beside it.
    let mut finals: Vec<RankedOffer> = Vec::new();
    for quote in quotes {
        let price = RoundPrice { round: quote.round, unit_price: quote.offer.unit_price };
        let existing = finals.iter_mut().find(|f| f.offer.contact_id == quote.offer.contact_id);
        match existing {
            None => finals.push(RankedOffer {
                rank: 0,
                vendor: quote.vendor.clone(),
                round: quote.round,
                round_prices: vec![price],
                offer: quote.offer.clone(),
            }),
            Some(current) => {
                match current.round_prices.iter_mut().find(|p| p.round == quote.round) {
                    Some(same_round) => same_round.unit_price = same_round.unit_price.or(price.unit_price),
                    None => {
                        current.round_prices.push(price);
                        current.round_prices.sort_by_key(|p| p.round);
                    }
                }
                if quote.round > current.round && quote.offer.unit_price.is_some() {
                    current.vendor.clone_from(&quote.vendor);
                    current.round = quote.round;
                    current.offer = quote.offer.filled_from(&current.offer);
                }
            }
        }
    }
    finals.sort_by(|a, b| compare_offers(&a.offer, &b.offer));
    for (i, offer) in finals.iter_mut().enumerate() {
        offer.rank = i as u32 + 1;
    }

    let quotes_received = finals.iter().filter(|f| f.offer.unit_price.is_some()).count() as u32;
    let highest_price = quotes.iter().filter_map(|q| q.offer.unit_price).max_by(f64::total_cmp);
    let best = finals.first().filter(|f| f.offer.unit_price.is_some());
    let best_price = best.and_then(|b| b.offer.unit_price);
    let savings_per_unit = match (highest_price, best_price) {
        (Some(high), Some(low)) => Some(round_cents(high - low)),
        _ => None,
    };
    let savings_total = savings_per_unit.zip(quantity).map(|(per_unit, qty)| round_cents(per_unit * f64::from(qty)));
    let savings_percent = savings_per_unit
        .zip(highest_price)
        .filter(|(_, high)| *high > 0.0)
        .map(|(s, high)| round_tenth(s / high * 100.0));
    let leads: Vec<f64> = finals.iter().filter_map(|f| f.offer.lead_time_days).map(f64::from).collect();
    let average_lead_time_days =
        (!leads.is_empty()).then(|| round_tenth(leads.iter().sum::<f64>() / leads.len() as f64));

    let (recommendation, next_steps) = advice(&finals, best, savings_per_unit, savings_percent, quantity, unanswered);
    QuoteSummary {
        ranked: finals,
        suppliers_called,
        quotes_received,
        highest_price,
        savings_per_unit,
        savings_total,
        savings_percent,
        average_lead_time_days,
        recommendation,
        next_steps,
    }
}

fn advice(
    finals: &[RankedOffer],
    best: Option<&RankedOffer>,
    savings_per_unit: Option<f64>,
    savings_percent: Option<f64>,
    quantity: Option<u32>,
    unanswered: &[String],
) -> (String, Vec<String>) {
    let mut next_steps = Vec::new();
    let Some(best) = best else {
        if !unanswered.is_empty() {
            next_steps.push(format!("Try again: {}.", unanswered.join(", ")));
        }
        next_steps.push("Widen the vendor list or check the item description.".to_owned());
        return ("No vendor gave a price; there is nothing to recommend yet.".to_owned(), next_steps);
    };
    let price = best.offer.unit_price.unwrap_or_default();
    let mut recommendation = format!("Order from {} at ${price:.2} per unit", best.vendor);
    let mut terms: Vec<String> = Vec::new();
    if let Some(days) = best.offer.lead_time_days {
        terms.push(format!("{days} days lead time"));
    }
    if let Some(t) = &best.offer.terms {
        terms.push(t.clone());
    }
    if !terms.is_empty() {
        recommendation.push_str(&format!(" ({})", terms.join(", ")));
    }
    match (savings_per_unit, savings_percent) {
        (Some(s), Some(pct)) if s > 0.0 => {
            recommendation.push_str(&format!(": ${s:.2} per unit ({pct:.1}%) below the highest quote."));
        }
        _ => recommendation.push('.'),
    }
    next_steps.push(format!("Confirm {}'s quote in writing and place the order.", best.vendor));
    if let (Some(moq), Some(qty)) = (best.offer.moq, quantity)
        && moq > qty
    {
        next_steps.push(format!(
            "{}'s minimum order is {moq} units, above the {qty} asked for: agree a smaller first order or adjust.",
            best.vendor
        ));
    }
    if best.offer.confidence < 1.0 {
        next_steps.push(format!("Ask {} for the details the call did not cover.", best.vendor));
    }
    if let Some(second) = finals.get(1).filter(|f| f.offer.unit_price.is_some()) {
        next_steps.push(format!(
            "Keep {} as the fallback at ${:.2} per unit.",
            second.vendor,
            second.offer.unit_price.unwrap_or_default()
        ));
    }
    if !unanswered.is_empty() {
        next_steps.push(format!("No quote from {}; call back if the order is not placed.", unanswered.join(", ")));
    }
    (recommendation, next_steps)
}

fn round_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CallId;

    fn quote(contact: i64, vendor: &str, round: u8, price: Option<f64>, lead: Option<u32>) -> RoundQuote {
        RoundQuote {
            vendor: vendor.into(),
            round,
            offer: Offer {
                call_id: CallId(contact * 10 + i64::from(round)),
                contact_id: ContactId(contact),
                unit_price: price,
                moq: Some(500),
                lead_time_days: lead,
                shipping: Some("FOB origin".into()),
                terms: Some("Net 30".into()),
                confidence: if price.is_some() && lead.is_some() { 1.0 } else { 0.6 },
            },
        }
    }

    #[test]
    fn round_two_calls_every_vendor_above_the_best_price() {
        let round_one = [
            quote(1, "Acme", 1, Some(0.45), Some(14)),
            quote(2, "Great Lakes", 1, Some(0.42), Some(21)),
            quote(3, "Pacific", 1, Some(0.42), Some(10)),
            quote(4, "Lone Star", 1, None, None),
            quote(5, "Bolt Bros", 1, Some(0.51), Some(7)),
        ];
        let plan = plan_negotiation(&round_one).unwrap();
        assert_eq!((plan.best_price, plan.best_contact, plan.best_vendor.as_str()), (0.42, ContactId(3), "Pacific"));
        let targets: Vec<(i64, f64)> = plan.targets.iter().map(|t| (t.contact_id.0, t.their_price)).collect();
        assert_eq!(targets, [(1, 0.45), (5, 0.51)]);
    }

    #[test]
    fn fewer_than_two_prices_or_all_equal_go_straight_to_the_summary() {
        assert_eq!(plan_negotiation(&[quote(1, "A", 1, Some(0.5), None), quote(2, "B", 1, None, None)]), None);
        assert_eq!(plan_negotiation(&[quote(1, "A", 1, Some(0.5), None), quote(2, "B", 1, Some(0.5), Some(3))]), None);
        assert_eq!(plan_negotiation(&[]), None);
    }

    #[test]
    fn the_summary_figures_match_a_hand_computed_case() {
        // Round 1: Acme 0.45 (14 d), Pacific 0.42 (10 d), Bolt 0.51 (7 d), Lone Star no price.
        // Round 2: Acme comes down to 0.41 (14 d); Bolt declines (no price), so 0.51 stands.
        let quotes = [
            quote(1, "Acme", 1, Some(0.45), Some(14)),
            quote(3, "Pacific", 1, Some(0.42), Some(10)),
            quote(5, "Bolt", 1, Some(0.51), Some(7)),
            quote(4, "Lone Star", 1, None, None),
            quote(1, "Acme", 2, Some(0.41), Some(14)),
            quote(5, "Bolt", 2, None, None),
        ];
        let summary = summarize_quotes(&quotes, 5, Some(10_000), &["Harbor".to_owned()]);
        type Row<'a> = (u32, &'a str, u8, Option<f64>, Option<f64>);
        let ranked: Vec<Row> = summary
            .ranked
            .iter()
            .map(|r| (r.rank, r.vendor.as_str(), r.round, r.offer.unit_price, r.earlier_price()))
            .collect();
        assert_eq!(
            ranked,
            [
                (1, "Acme", 2, Some(0.41), Some(0.45)),
                (2, "Pacific", 1, Some(0.42), None),
                (3, "Bolt", 1, Some(0.51), None),
                (4, "Lone Star", 1, None, None),
            ]
        );
        type Rounds<'a> = (&'a str, Vec<(u8, Option<f64>)>);
        let rounds: Vec<Rounds> = summary
            .ranked
            .iter()
            .map(|r| (r.vendor.as_str(), r.round_prices.iter().map(|p| (p.round, p.unit_price)).collect()))
            .collect();
        assert_eq!(
            rounds,
            [
                ("Acme", vec![(1, Some(0.45)), (2, Some(0.41))]),
                ("Pacific", vec![(1, Some(0.42))]),
                ("Bolt", vec![(1, Some(0.51)), (2, None)]),
                ("Lone Star", vec![(1, None)]),
            ]
        );
        assert_eq!((summary.suppliers_called, summary.quotes_received), (5, 3));
        assert_eq!(summary.highest_price, Some(0.51));
        assert_eq!(summary.savings_per_unit, Some(0.10));
        assert_eq!(summary.savings_total, Some(1000.0));
        assert_eq!(summary.savings_percent, Some(19.6)); // 0.10 / 0.51 = 19.61 %
        assert_eq!(summary.average_lead_time_days, Some(10.3)); // (14 + 10 + 7) / 3
        // Round 2 revised Acme's price; what it did not repeat (MOQ) still holds from round 1.
        assert_eq!(summary.ranked[0].offer.moq, Some(500));
        assert_eq!(
            summary.recommendation,
            "Order from Acme at $0.41 per unit (14 days lead time, Net 30): $0.10 per unit (19.6%) below the highest quote."
        );
        assert_eq!(
            summary.next_steps,
            [
                "Confirm Acme's quote in writing and place the order.",
                "Keep Pacific as the fallback at $0.42 per unit.",
                "No quote from Harbor; call back if the order is not placed.",
            ]
        );
    }

    #[test]
    fn a_vendor_who_held_their_price_keeps_both_rounds() {
        let quotes = [
            quote(1, "Holder", 1, Some(0.50), Some(7)),
            quote(2, "Best", 1, Some(0.40), Some(7)),
            quote(1, "Holder", 2, Some(0.50), Some(7)),
        ];
        let summary = summarize_quotes(&quotes, 2, None, &[]);
        let holder = &summary.ranked[1];
        assert_eq!((holder.vendor.as_str(), holder.round), ("Holder", 2));
        assert_eq!((holder.price_in(1), holder.price_in(2), holder.earlier_price()), (Some(0.50), Some(0.50), None));
        let best = &summary.ranked[0];
        assert_eq!((best.vendor.as_str(), best.price_in(1), best.price_in(2)), ("Best", Some(0.40), None));
    }

    #[test]
    fn a_summary_stored_before_rounds_were_kept_still_reads() {
        let stored = r#"{"rank": 1, "vendor": "Acme", "round": 2, "firstPrice": 0.45,
            "offer": {"callId": 12, "contactId": 1, "unitPrice": 0.41, "moq": null, "leadTimeDays": null,
                      "shipping": null, "terms": null, "confidence": 0.2}}"#;
        let ranked: RankedOffer = serde_json::from_str(stored).unwrap();
        assert_eq!((ranked.price_in(1), ranked.price_in(2)), (None, Some(0.41)));
    }

    #[test]
    fn ties_on_price_rank_by_lead_time() {
        let quotes = [quote(1, "Slow", 1, Some(0.40), Some(30)), quote(2, "Fast", 1, Some(0.40), Some(5))];
        let summary = summarize_quotes(&quotes, 2, None, &[]);
        assert_eq!(summary.ranked[0].vendor, "Fast");
        assert_eq!((summary.savings_per_unit, summary.savings_total), (Some(0.0), None));
        assert!(summary.recommendation.ends_with("(5 days lead time, Net 30)."), "{}", summary.recommendation);
    }

    #[test]
    fn no_quotes_recommends_nothing() {
        let summary = summarize_quotes(&[quote(1, "A", 1, None, None)], 3, Some(100), &["B".into(), "C".into()]);
        assert_eq!(summary.quotes_received, 0);
        assert_eq!(summary.recommendation, "No vendor gave a price; there is nothing to recommend yet.");
        assert_eq!(summary.next_steps[0], "Try again: B, C.");
    }
}
