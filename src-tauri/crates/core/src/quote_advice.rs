//! The words of a quote summary: the target compared, the recommendation in one sentence naming
//! what decided it, the alternatives and the next steps.

use crate::QuoteRequest;
use crate::quote_request::money;
use crate::ranked_offer::RankedOffer;

/// What the summary says.
pub(crate) struct Advice {
    pub target_note: Option<String>,
    pub recommendation: String,
    pub alternatives: Vec<String>,
    pub next_steps: Vec<String>,
}

/// How many alternatives the summary lists.
const ALTERNATIVES: usize = 3;

/// Advice from the ranked offers (best first).
pub(crate) fn advice(finals: &[RankedOffer], request: &QuoteRequest, unanswered: &[String]) -> Advice {
    let priced: Vec<&RankedOffer> = finals.iter().filter(|f| f.offer.unit_price.is_some()).collect();
    let target_note = request.target_price.map(|target| target_note(&priced, target));
    let mut next_steps = Vec::new();
    let Some(best) = priced.first().copied() else {
        if !unanswered.is_empty() {
            next_steps.push(format!("Try again: {}.", unanswered.join(", ")));
        }
        next_steps.push("Widen the vendor list or check the item description.".to_owned());
        return Advice {
            target_note,
            recommendation: "No vendor gave a price; there is nothing to recommend yet.".to_owned(),
            alternatives: Vec::new(),
            next_steps,
        };
    };
    let recommendation = recommendation(best, &priced, request);
    let alternatives = priced.iter().skip(1).take(ALTERNATIVES).map(|r| alternative(r)).collect();

    next_steps.push(format!("Confirm {}'s quote in writing and place the order.", best.vendor));
    if let (Some(cost), Some(estimate)) = (&best.landed, request.freight_estimate_for(best.offer.contact_id))
        && cost.freight_estimated
    {
        next_steps.push(format!(
            "Get a freight quote for {}'s {}: the landed cost uses your estimate of {} for the shipment.",
            best.vendor,
            best.offer.shipping.as_deref().unwrap_or("pickup"),
            money(estimate)
        ));
    }
    for flag in best.landed.iter().flat_map(|l| &l.flags) {
        next_steps.push(format!("Settle with {}: {}.", best.vendor, flag.message));
    }
    if best.offer.confidence < 1.0 {
        next_steps.push(format!("Ask {} for the details the call did not cover.", best.vendor));
    }
    if !unanswered.is_empty() {
        next_steps.push(format!("No quote from {}; call back if the order is not placed.", unanswered.join(", ")));
    }
    Advice { target_note, recommendation, alternatives, next_steps }
}

/// "3 vendors at or under $0.38 landed", or how far the best is over.
fn target_note(priced: &[&RankedOffer], target: f64) -> String {
    let under = |r: &&&RankedOffer| r.landed_price().is_some_and(|landed| landed <= target + 1e-9);
    let compliant = priced.iter().filter(|r| r.compliant()).filter(under).count();
    let flagged = priced.iter().filter(|r| !r.compliant()).filter(under).count();
    let vendors = |n: usize| if n == 1 { "1 vendor".to_owned() } else { format!("{n} vendors") };
    if compliant > 0 {
        let more = if flagged > 0 { format!(" ({} more flagged)", flagged) } else { String::new() };
        return format!("{} at or under {} landed{more}", vendors(compliant), money(target));
    }
    let best = priced.iter().filter(|r| r.compliant()).find_map(|r| r.landed_price());
    match best {
        Some(best) => {
            format!("No vendor at or under {} landed; the best is {} over", money(target), money(best - target))
        }
        None => format!("No compliant landed cost to compare with the {} target", money(target)),
    }
}

/// One sentence: who, at what landed cost, and the factors that decided it.
fn recommendation(best: &RankedOffer, priced: &[&RankedOffer], request: &QuoteRequest) -> String {
    let cost = best.describe_landed();
    if !best.compliant() {
        let flags: Vec<&str> = best.landed.iter().flat_map(|l| &l.flags).map(|f| f.message.as_str()).collect();
        return format!(
            "No quote meets the request; the best is {} at {cost}, but {}.",
            best.vendor,
            flags.join(" and ")
        );
    }
    let mut reasons = vec![if priced.len() == 1 {
        "the only quote".to_owned()
    } else {
        "the lowest landed cost of the compliant quotes".to_owned()
    }];
    if let (Some(target), Some(landed)) = (request.target_price, best.landed_price()) {
        reasons.push(if landed <= target + 1e-9 {
            format!("at or under the {} target", money(target))
        } else {
            format!("{} over the {} target", money(landed - target), money(target))
        });
    }
    let mut sentence = format!("Order from {} at {cost}: {}", best.vendor, reasons.join(", "));
    // The lower unit price that lost: the cheapest compliant one, else the cheapest flagged one.
    let unit = |r: &&&RankedOffer| r.offer.unit_price.unwrap_or(f64::INFINITY);
    let cheaper: Vec<&&RankedOffer> = priced.iter().filter(|r| unit(r) < unit(&&best)).collect();
    let cheapest = |compliant: bool| {
        cheaper.iter().filter(|r| r.compliant() == compliant).min_by(|a, b| unit(a).total_cmp(&unit(b))).copied()
    };
    if let Some(lost) = cheapest(true).or_else(|| cheapest(false)) {
        sentence.push_str(&format!("; {}", why_lower_price_lost(lost, best)));
    }
    sentence.push('.');
    sentence
}

/// Why a lower unit price did not win: its flags, or what its freight and terms add.
fn why_lower_price_lost(cheapest: &RankedOffer, best: &RankedOffer) -> String {
    let price = money(cheapest.offer.unit_price.unwrap_or_default());
    let lead = format!("{}'s lower unit price ({price})", cheapest.vendor);
    let Some(cost) = &cheapest.landed else { return format!("{lead} was not weighed") };
    if !cost.compliant() {
        let flags: Vec<&str> = cost.flags.iter().map(|f| f.message.as_str()).collect();
        return format!("{lead} comes with {}", flags.join(" and "));
    }
    let Some(landed) = cost.landed else { return format!("{lead} has no freight estimate to land it") };
    let (best_freight, best_terms) =
        best.landed.as_ref().map_or((0.0, 0.0), |b| (b.freight_per_unit.unwrap_or(0.0), b.terms_adjustment));
    let mut adds = Vec::new();
    let freight = cost.freight_per_unit.unwrap_or(0.0);
    if freight > best_freight {
        let estimated = if cost.freight_estimated { " estimated" } else { "" };
        adds.push(format!("{}{estimated} freight a unit", money(freight)));
    }
    if cost.terms_adjustment > best_terms {
        let terms = cheapest.offer.terms.as_deref().unwrap_or("its payment terms");
        adds.push(format!("{terms} terms"));
    }
    if adds.is_empty() {
        format!("{lead} lands at {}", money(landed))
    } else {
        format!("{lead} lands at {} with {}", money(landed), adds.join(" and "))
    }
}

/// "Pacific Bolt: $0.40 landed ($0.38 + $0.02 freight), 12 days" and any flags.
fn alternative(r: &RankedOffer) -> String {
    let cost = r.describe_landed();
    let lead = r.offer.lead_time_days.map(|d| format!(", {d} days")).unwrap_or_default();
    let flags: Vec<&str> = r.landed.iter().flat_map(|l| &l.flags).map(|f| f.message.as_str()).collect();
    let flagged = if flags.is_empty() { String::new() } else { format!("; flagged: {}", flags.join("; ")) };
    format!("{}: {cost}{lead}{flagged}", r.vendor)
}
