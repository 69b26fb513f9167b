//! Vendor quote campaigns as pure logic: who gets a second, negotiation round, and the summary
//! (best offer per vendor ranked on landed cost, the target compared, savings, lead time,
//! recommendation) once rounds are done.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::landed::{Decision, LandedCost, compare_landed, landed_cost, round4};
use crate::quote_advice::advice;
pub use crate::ranked_offer::{RankedOffer, RoundPrice};
use crate::{ContactId, Offer};

/// A quote one vendor gave in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoundQuote {
    pub vendor: String,
    pub round: u8,
    pub offer: Offer,
    /// The day of the call (`YYYY-MM-DD`), from which the quote's validity counts.
    #[serde(default)]
    pub quoted_on: Option<String>,
    /// Every field the agent collected on the call, custom ones included.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl RoundQuote {
    fn quoted_on_date(&self) -> Option<Date> {
        self.quoted_on.as_deref().and_then(|d| d.parse().ok())
    }
}

/// One vendor to call again in round 2, with what it quoted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NegotiationTarget {
    pub contact_id: ContactId,
    pub their_price: f64,
    /// Their landed unit cost (their price when it cannot be known).
    pub their_landed: f64,
}

/// Round 2: every vendor above the best landed cost (or whose quote breaks the request), and
/// the context the negotiation agent needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NegotiationPlan {
    /// The best quote's unit price.
    pub best_price: f64,
    /// The best quote's landed unit cost.
    pub best_landed: f64,
    pub best_contact: ContactId,
    pub best_vendor: String,
    pub targets: Vec<NegotiationTarget>,
}

/// A quote's landed cost, or its unit price when the landed cost cannot be known.
fn landed_or_price(offer: &Offer, cost: &LandedCost) -> Option<f64> {
    cost.landed.or(offer.unit_price)
}

/// Decides round 2 from round 1's quotes, ranked on landed cost: `None` (straight to the
/// summary) when fewer than two vendors gave a price or no one is to be pressed.
pub fn plan_negotiation(round_one: &[RoundQuote], decision: &Decision<'_>) -> Option<NegotiationPlan> {
    let mut priced: Vec<(&RoundQuote, LandedCost)> = round_one
        .iter()
        .filter(|q| q.offer.unit_price.is_some())
        .map(|q| (q, landed_cost(&q.offer, q.quoted_on_date(), decision)))
        .collect();
    if priced.len() < 2 {
        return None;
    }
    priced.sort_by(|a, b| compare_landed((&a.0.offer, &a.1), (&b.0.offer, &b.1)));
    let (best, best_cost) = &priced[0];
    let best_landed = landed_or_price(&best.offer, best_cost)?;
    let targets: Vec<NegotiationTarget> = priced[1..]
        .iter()
        .filter_map(|(q, cost)| {
            let landed = landed_or_price(&q.offer, cost)?;
            (landed > best_landed || !cost.compliant()).then_some(NegotiationTarget {
                contact_id: q.offer.contact_id,
                their_price: q.offer.unit_price?,
                their_landed: landed,
            })
        })
        .collect();
    if targets.is_empty() {
        return None;
    }
    Some(NegotiationPlan {
        best_price: best.offer.unit_price?,
        best_landed,
        best_contact: best.offer.contact_id,
        best_vendor: best.vendor.clone(),
        targets,
    })
}

/// What a finished vendor quote campaign yielded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct QuoteSummary {
    /// Best offer per vendor, ranked on landed cost (flagged, then unpriced offers last).
    pub ranked: Vec<RankedOffer>,
    pub suppliers_called: u32,
    pub quotes_received: u32,
    /// The highest unit price quoted in any round.
    pub highest_price: Option<f64>,
    /// Highest landed cost (unit price where it cannot be known) in any round minus the
    /// recommended one, per unit.
    pub savings_per_unit: Option<f64>,
    /// `savings_per_unit` times the quantity asked for.
    pub savings_total: Option<f64>,
    /// Savings as a share of the highest, 0–100.
    pub savings_percent: Option<f64>,
    pub average_lead_time_days: Option<f64>,
    /// The target landed unit price, and how the quotes compare: "3 vendors at or under $0.38 landed".
    #[serde(default)]
    pub target_price: Option<f64>,
    #[serde(default)]
    pub target_note: Option<String>,
    /// The yearly rate the payment terms were weighed at (0.08 = 8 %).
    #[serde(default)]
    pub annual_rate: f64,
    /// The keys of the fields collected beyond the quote's own (custom ones), alphabetically.
    #[serde(default)]
    pub custom_keys: Vec<String>,
    pub recommendation: String,
    /// The next best quotes, one line each.
    #[serde(default)]
    pub alternatives: Vec<String>,
    pub next_steps: Vec<String>,
}

/// Summarises a campaign's quotes (both rounds), ranked on landed cost. `suppliers_called`
/// counts vendors dialled in round 1; `unanswered` names vendors with no quote.
pub fn summarize_quotes(
    quotes: &[RoundQuote],
    suppliers_called: u32,
    decision: &Decision<'_>,
    unanswered: &[String],
) -> QuoteSummary {
    // Best offer per vendor: a priced later round supersedes round 1, and what it does not say
    // is taken from before. Every round's price and landed cost is kept beside it.
    let mut finals: Vec<RankedOffer> = Vec::new();
    let mut in_order: Vec<&RoundQuote> = quotes.iter().collect();
    in_order.sort_by_key(|q| q.round);
    for quote in in_order {
        let existing = finals.iter_mut().find(|f| f.offer.contact_id == quote.offer.contact_id);
        let offer = existing.as_ref().map_or_else(|| quote.offer.clone(), |f| quote.offer.filled_from(&f.offer));
        let cost = landed_cost(&offer, quote.quoted_on_date(), decision);
        let price = RoundPrice {
            round: quote.round,
            unit_price: quote.offer.unit_price,
            landed: quote.offer.unit_price.and(cost.landed),
        };
        match existing {
            None => finals.push(RankedOffer {
                rank: 0,
                vendor: quote.vendor.clone(),
                round: quote.round,
                round_prices: vec![price],
                offer,
                landed: Some(cost),
                fields: quote.fields.clone(),
            }),
            Some(current) => {
                match current.round_prices.iter_mut().find(|p| p.round == quote.round) {
                    Some(same_round) => {
                        same_round.unit_price = same_round.unit_price.or(price.unit_price);
                        same_round.landed = same_round.landed.or(price.landed);
                    }
                    None => current.round_prices.push(price),
                }
                current.fields.extend(quote.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                if quote.round > current.round && quote.offer.unit_price.is_some() {
                    current.vendor.clone_from(&quote.vendor);
                    current.round = quote.round;
                    current.offer = offer;
                    current.landed = Some(cost);
                }
            }
        }
    }
    let cost_of = |r: &RankedOffer| r.landed.clone().unwrap_or_else(|| landed_cost(&r.offer, None, decision));
    finals.sort_by(|a, b| compare_landed((&a.offer, &cost_of(a)), (&b.offer, &cost_of(b))));
    for (i, offer) in finals.iter_mut().enumerate() {
        offer.rank = i as u32 + 1;
    }

    let quotes_received = finals.iter().filter(|f| f.offer.unit_price.is_some()).count() as u32;
    let highest_price = quotes.iter().filter_map(|q| q.offer.unit_price).max_by(f64::total_cmp);
    let value = |p: &RoundPrice| p.landed.or(p.unit_price);
    let highest_value = finals.iter().flat_map(|f| f.round_prices.iter().filter_map(value)).max_by(f64::total_cmp);
    let best = finals.first().filter(|f| f.offer.unit_price.is_some());
    let best_value = best.and_then(|b| b.landed_price().or(b.offer.unit_price));
    let savings_per_unit = match (highest_value, best_value) {
        (Some(high), Some(low)) => Some(round4(high - low)),
        _ => None,
    };
    let quantity = Some(decision.request.quantity).filter(|q| *q > 0);
    let savings_total = savings_per_unit.zip(quantity).map(|(per_unit, qty)| round_cents(per_unit * f64::from(qty)));
    let savings_percent = savings_per_unit
        .zip(highest_value)
        .filter(|(_, high)| *high > 0.0)
        .map(|(s, high)| round_tenth(s / high * 100.0));
    let leads: Vec<f64> = finals.iter().filter_map(|f| f.offer.lead_time_days).map(f64::from).collect();
    let average_lead_time_days =
        (!leads.is_empty()).then(|| round_tenth(leads.iter().sum::<f64>() / leads.len() as f64));
    let custom_keys = custom_keys(&finals);

    let advice = advice(&finals, decision.request, unanswered);
    QuoteSummary {
        ranked: finals,
        suppliers_called,
        quotes_received,
        highest_price,
        savings_per_unit,
        savings_total,
        savings_percent,
        average_lead_time_days,
        target_price: decision.request.target_price,
        target_note: advice.target_note,
        annual_rate: decision.annual_rate,
        custom_keys,
        recommendation: advice.recommendation,
        alternatives: advice.alternatives,
        next_steps: advice.next_steps,
    }
}

/// Every key collected beyond the quote's own fields, alphabetically.
fn custom_keys(finals: &[RankedOffer]) -> Vec<String> {
    let mut custom: Vec<String> =
        finals.iter().flat_map(|f| f.fields.keys()).filter(|k| !crate::offer::is_quote_field(k)).cloned().collect();
    custom.sort();
    custom.dedup();
    custom
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
    use crate::{CallId, QuoteRequest};

    struct Quoted {
        contact: i64,
        vendor: &'static str,
        round: u8,
        price: Option<f64>,
        moq: Option<u32>,
        lead: Option<u32>,
        freight: Option<&'static str>,
        terms: Option<&'static str>,
    }

    fn quote(q: Quoted) -> RoundQuote {
        let offer = Offer {
            call_id: CallId(q.contact * 10 + i64::from(q.round)),
            contact_id: ContactId(q.contact),
            unit_price: q.price,
            moq: q.moq,
            lead_time_days: q.lead,
            shipping: q.freight.map(Into::into),
            terms: q.terms.map(Into::into),
            valid_days: None,
            confidence: if q.price.is_some() { 1.0 } else { 0.0 },
        };
        let fields = BTreeMap::from([("vendor_notes".to_owned(), format!("{} says hi", q.vendor))]);
        RoundQuote { vendor: q.vendor.into(), round: q.round, offer, quoted_on: Some("2026-01-15".into()), fields }
    }

    fn first(
        contact: i64,
        vendor: &'static str,
        price: f64,
        moq: u32,
        lead: u32,
        freight: &'static str,
        terms: &'static str,
    ) -> RoundQuote {
        quote(Quoted {
            contact,
            vendor,
            round: 1,
            price: Some(price),
            moq: Some(moq),
            lead: Some(lead),
            freight: Some(freight),
            terms: Some(terms),
        })
    }

    /// Round 1 at 10 % a year, 10 000 pcs, target $0.40, freight estimate $300 (hand-computed):
    /// Acme    0.36 + 300/10 000 = 0.03 est. − 0.36 × 0.008152 (Net 30) = 0.3871
    /// Pacific 0.38 delivered − 0.38 × 0.016173 (Net 60)                = 0.3739
    /// Great L 0.39 + 200/10 000 = 0.02 − 0.41 × 0.022678 (2/10 net 30) = 0.4007
    /// Bolt    0.33 delivered − 0.33 × 0.008152 (Net 30) = 0.3273, MOQ 25 000 > 10 000: flagged
    fn round_one() -> Vec<RoundQuote> {
        vec![
            first(1, "Acme", 0.36, 5000, 14, "FOB origin", "Net 30"),
            first(2, "Pacific", 0.38, 1000, 12, "delivered, freight included", "Net 60"),
            first(3, "Great Lakes", 0.39, 1000, 10, "$200 for the shipment", "2/10 net 30"),
            first(4, "Bolt", 0.33, 25_000, 7, "included", "Net 30"),
            quote(Quoted {
                contact: 5,
                vendor: "Lone Star",
                round: 1,
                price: None,
                moq: None,
                lead: None,
                freight: None,
                terms: None,
            }),
        ]
    }

    fn request() -> QuoteRequest {
        QuoteRequest {
            item: "M8 bolts".into(),
            quantity: 10_000,
            unit: "pcs".into(),
            target_price: Some(0.40),
            needed_by: Some("2026-02-28".into()),
            freight_estimate: Some(300.0),
            ..Default::default()
        }
    }

    fn decision(request: &QuoteRequest) -> Decision<'_> {
        Decision { request, annual_rate: 0.10, today: jiff::civil::date(2026, 1, 15) }
    }

    #[test]
    fn round_two_presses_every_vendor_above_the_best_landed_cost_and_the_flagged() {
        let request = request();
        let plan = plan_negotiation(&round_one(), &decision(&request)).unwrap();
        assert_eq!(
            (plan.best_price, plan.best_landed, plan.best_contact, plan.best_vendor.as_str()),
            (0.38, 0.3739, ContactId(2), "Pacific")
        );
        let targets: Vec<(i64, f64, f64)> =
            plan.targets.iter().map(|t| (t.contact_id.0, t.their_price, t.their_landed)).collect();
        assert_eq!(targets, [(1, 0.36, 0.3871), (3, 0.39, 0.4007), (4, 0.33, 0.3273)]);
    }

    #[test]
    fn fewer_than_two_prices_or_nobody_to_press_go_straight_to_the_summary() {
        let request = request();
        let decision = decision(&request);
        let same = |contact, vendor| first(contact, vendor, 0.5, 100, 5, "included", "Net 30");
        assert_eq!(plan_negotiation(&round_one()[4..], &decision), None);
        assert_eq!(plan_negotiation(&[same(1, "A"), same(2, "B")], &decision), None);
        assert_eq!(plan_negotiation(&[], &decision), None);
    }

    #[test]
    fn round_one_ranks_on_landed_cost_not_unit_price_and_says_why() {
        let request = request();
        let summary = summarize_quotes(&round_one(), 5, &decision(&request), &["Harbor".to_owned()]);
        type Row<'a> = (u32, &'a str, Option<f64>, Option<f64>, bool);
        let ranked: Vec<Row> = summary
            .ranked
            .iter()
            .map(|r| (r.rank, r.vendor.as_str(), r.offer.unit_price, r.landed_price(), r.compliant()))
            .collect();
        assert_eq!(
            ranked,
            [
                (1, "Pacific", Some(0.38), Some(0.3739), true),
                (2, "Acme", Some(0.36), Some(0.3871), true),
                (3, "Great Lakes", Some(0.39), Some(0.4007), true),
                (4, "Bolt", Some(0.33), Some(0.3273), false),
                (5, "Lone Star", None, None, true),
            ]
        );
        assert_eq!(summary.target_note.as_deref(), Some("2 vendors at or under $0.40 landed (1 more flagged)"));
        assert_eq!(
            summary.recommendation,
            "Order from Pacific at $0.3739 landed ($0.38 − $0.0061 terms): the lowest landed cost of the compliant \
             quotes, at or under the $0.40 target; Acme's lower unit price ($0.36) lands at $0.3871 with $0.03 \
             estimated freight a unit and Net 30 terms."
        );
        assert_eq!(
            summary.alternatives,
            [
                "Acme: $0.3871 landed ($0.36 + $0.03 estimated freight − $0.0029 terms), 14 days",
                "Great Lakes: $0.4007 landed ($0.39 + $0.02 freight − $0.0093 terms), 10 days",
                "Bolt: $0.3273 landed ($0.33 − $0.0027 terms), 7 days; flagged: minimum order 25000 pcs, above the \
                 10000 asked for",
            ]
        );
        assert_eq!(summary.custom_keys, ["vendor_notes"]);
        assert_eq!(summary.ranked[0].fields["vendor_notes"], "Pacific says hi");
    }

    #[test]
    fn the_summary_figures_match_a_hand_computed_case() {
        // Round 2: Acme comes down to 0.34; freight and terms still hold from round 1:
        // 0.34 + 0.03 − 0.34 × 0.008152 = 0.3672, now the best. Bolt declines (no price).
        let mut quotes = round_one();
        quotes.push(quote(Quoted {
            contact: 1,
            vendor: "Acme",
            round: 2,
            price: Some(0.34),
            moq: None,
            lead: None,
            freight: None,
            terms: None,
        }));
        quotes.push(quote(Quoted {
            contact: 4,
            vendor: "Bolt",
            round: 2,
            price: None,
            moq: None,
            lead: None,
            freight: None,
            terms: None,
        }));
        let request = request();
        let summary = summarize_quotes(&quotes, 5, &decision(&request), &["Harbor".to_owned()]);
        let ranked: Vec<(&str, u8, Option<f64>, Option<f64>)> = summary
            .ranked
            .iter()
            .map(|r| (r.vendor.as_str(), r.round, r.offer.unit_price, r.earlier_price()))
            .collect();
        assert_eq!(
            ranked,
            [
                ("Acme", 2, Some(0.34), Some(0.36)),
                ("Pacific", 1, Some(0.38), None),
                ("Great Lakes", 1, Some(0.39), None),
                ("Bolt", 1, Some(0.33), None),
                ("Lone Star", 1, None, None),
            ]
        );
        let acme: Vec<(u8, Option<f64>, Option<f64>)> =
            summary.ranked[0].round_prices.iter().map(|p| (p.round, p.unit_price, p.landed)).collect();
        assert_eq!(acme, [(1, Some(0.36), Some(0.3871)), (2, Some(0.34), Some(0.3672))]);
        let bolt: Vec<(u8, Option<f64>)> = summary.ranked[3].round_prices.iter().map(|p| (p.round, p.landed)).collect();
        assert_eq!(bolt, [(1, Some(0.3273)), (2, None)]);
        assert_eq!(summary.ranked[0].offer.moq, Some(5000), "round 1's MOQ still holds");
        assert_eq!((summary.suppliers_called, summary.quotes_received), (5, 4));
        assert_eq!(summary.highest_price, Some(0.39));
        // Highest landed cost in any round (Great Lakes 0.4007) less the best (0.3672).
        assert_eq!(summary.savings_per_unit, Some(0.0335));
        assert_eq!(summary.savings_total, Some(335.0));
        assert_eq!(summary.savings_percent, Some(8.4)); // 0.0335 / 0.4007 = 8.36 %
        assert_eq!(summary.average_lead_time_days, Some(10.8)); // (14 + 12 + 10 + 7) / 4 = 10.75
        assert_eq!((summary.target_price, summary.annual_rate), (Some(0.40), 0.10));
        assert_eq!(
            summary.recommendation,
            "Order from Acme at $0.3672 landed ($0.34 + $0.03 estimated freight − $0.0028 terms): the lowest landed \
             cost of the compliant quotes, at or under the $0.40 target; Bolt's lower unit price ($0.33) comes with \
             minimum order 25000 pcs, above the 10000 asked for."
        );
        assert_eq!(
            summary.next_steps,
            [
                "Confirm Acme's quote in writing and place the order.",
                "Get a freight quote for Acme's FOB origin: the landed cost uses your estimate of $300.00 for the shipment.",
                "Ask Acme for the details the call did not cover.", // how long the quote holds
                "No quote from Harbor; call back if the order is not placed.",
            ]
        );
    }

    #[test]
    fn over_the_target_or_nothing_compliant_says_so() {
        let request = QuoteRequest { target_price: Some(0.30), ..request() };
        let summary = summarize_quotes(&round_one(), 5, &decision(&request), &[]);
        assert_eq!(
            summary.target_note.as_deref(),
            Some("No vendor at or under $0.30 landed; the best is $0.0739 over")
        );
        assert!(summary.recommendation.contains(", $0.0739 over the $0.30 target;"), "{}", summary.recommendation);
        let only_flagged = [first(4, "Bolt", 0.33, 25_000, 7, "included", "Net 30")];
        let summary = summarize_quotes(&only_flagged, 1, &decision(&request), &[]);
        assert_eq!(
            summary.recommendation,
            "No quote meets the request; the best is Bolt at $0.3273 landed ($0.33 − $0.0027 terms), but minimum \
             order 25000 pcs, above the 10000 asked for."
        );
        assert_eq!(summary.next_steps[1], "Settle with Bolt: minimum order 25000 pcs, above the 10000 asked for.");
    }

    #[test]
    fn a_summary_stored_before_landed_costs_still_reads() {
        let stored = r#"{"rank": 1, "vendor": "Acme", "round": 2, "firstPrice": 0.45,
            "offer": {"callId": 12, "contactId": 1, "unitPrice": 0.41, "moq": null, "leadTimeDays": null,
                      "shipping": null, "terms": null, "confidence": 0.2}}"#;
        let ranked: RankedOffer = serde_json::from_str(stored).unwrap();
        assert_eq!((ranked.price_in(1), ranked.price_in(2)), (None, Some(0.41)));
        assert_eq!((ranked.landed_price(), ranked.compliant(), ranked.describe_landed()), (None, true, "$0.41".into()));
    }

    #[test]
    fn no_quotes_recommends_nothing() {
        let request = request();
        let summary = summarize_quotes(&round_one()[4..], 3, &decision(&request), &["B".into(), "C".into()]);
        assert_eq!(summary.quotes_received, 0);
        assert_eq!(summary.recommendation, "No vendor gave a price; there is nothing to recommend yet.");
        assert_eq!(summary.next_steps[0], "Try again: B, C.");
    }
}
