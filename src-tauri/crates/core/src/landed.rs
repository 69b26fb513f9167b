//! Landed unit cost: what a unit costs once it is at the buyer's dock and paid for. The unit
//! price, plus freight per unit (the vendor's, or the dispatcher's estimate for ex-works and
//! FOB-origin quotes), adjusted for when the vendor's invoice is paid at an annual rate of
//! money. Quotes that break the request (MOQ above the quantity, delivery after the needed-by
//! date, validity run out) are flagged, and rank below the compliant ones.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::quote_request::money;
use crate::quote_terms::{Freight, PaymentTerms};
use crate::{Offer, QuoteRequest};

/// What a quote is weighed against: the request, the yearly cost of money and the day decided on.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    pub request: &'a QuoteRequest,
    /// The yearly rate at which paying later saves money (0.08 = 8 %).
    pub annual_rate: f64,
    pub today: Date,
}

/// Why a quote does not meet the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    MoqAboveQuantity,
    LateForNeededBy,
    Expired,
}

/// A quote's breach of the request, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct QuoteFlag {
    pub kind: FlagKind,
    pub message: String,
}

/// A quote's landed unit cost and how it is made up (per unit, dollars).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LandedCost {
    pub freight: Freight,
    /// Freight per unit: the vendor's, or the dispatcher's estimate (`freight_estimated`).
    pub freight_per_unit: Option<f64>,
    pub freight_estimated: bool,
    /// The payment terms as read (none when they say nothing readable).
    pub terms: Option<PaymentTerms>,
    /// What the terms are worth per unit: negative when paying later saves money.
    pub terms_adjustment: f64,
    /// Unit price + freight per unit + terms adjustment; unknown without a price, or for an
    /// origin quote with no freight estimate.
    pub landed: Option<f64>,
    pub flags: Vec<QuoteFlag>,
}

impl LandedCost {
    /// Whether the quote meets the request (no flag).
    pub fn compliant(&self) -> bool {
        self.flags.is_empty()
    }
}

/// The landed cost of `offer`, quoted on `quoted_on` (validity counts from then).
pub fn landed_cost(offer: &Offer, quoted_on: Option<Date>, decision: &Decision<'_>) -> LandedCost {
    let quantity = decision.request.quantity.max(1);
    let freight = offer.shipping.as_deref().map_or(Freight::Unknown, Freight::read);
    let (freight_per_unit, freight_estimated, vendor_freight) = match freight {
        Freight::Included => (Some(0.0), false, 0.0),
        Freight::Quoted { amount, per_unit: true } => (Some(amount), false, amount),
        Freight::Quoted { amount, per_unit: false } => {
            let per_unit = amount / f64::from(quantity);
            (Some(per_unit), false, per_unit)
        }
        Freight::Origin => {
            let estimate = decision.request.freight_estimate_for(offer.contact_id);
            (estimate.map(|total| total / f64::from(quantity)), true, 0.0)
        }
        // Nothing said about freight: taken as in the price, like most spoken quotes.
        Freight::Unknown => (Some(0.0), false, 0.0),
    };
    let terms = offer.terms.as_deref().and_then(PaymentTerms::read);
    let lead_days = offer.lead_time_days.unwrap_or(0);
    let terms_adjustment = match (&terms, offer.unit_price) {
        (Some(terms), Some(price)) => {
            (price + vendor_freight) * (terms.cost_factor(decision.annual_rate, lead_days) - 1.0)
        }
        _ => 0.0,
    };
    let landed =
        offer.unit_price.zip(freight_per_unit).map(|(price, freight)| round4(price + freight + terms_adjustment));
    LandedCost {
        freight,
        freight_per_unit: freight_per_unit.map(round4),
        freight_estimated,
        terms,
        terms_adjustment: round4(terms_adjustment),
        landed,
        flags: flags(offer, quoted_on, decision),
    }
}

fn flags(offer: &Offer, quoted_on: Option<Date>, decision: &Decision<'_>) -> Vec<QuoteFlag> {
    let request = decision.request;
    let mut flags = Vec::new();
    if let Some(moq) = offer.moq
        && moq > request.quantity
    {
        let message = format!("minimum order {moq} {}, above the {} asked for", request.unit_name(), request.quantity);
        flags.push(QuoteFlag { kind: FlagKind::MoqAboveQuantity, message });
    }
    if let (Some(days), Some(needed_by)) = (offer.lead_time_days, request.needed_by_date()) {
        let arrives = decision.today.saturating_add(i64::from(days).days());
        if arrives > needed_by {
            let message = format!("arrives {arrives} ({days} days), after the needed-by date {needed_by}");
            flags.push(QuoteFlag { kind: FlagKind::LateForNeededBy, message });
        }
    }
    if let (Some(days), Some(quoted_on)) = (offer.valid_days, quoted_on) {
        let valid_until = quoted_on.saturating_add(i64::from(days).days());
        if valid_until < decision.today {
            let message = format!("quote expired {valid_until} (valid {days} days)");
            flags.push(QuoteFlag { kind: FlagKind::Expired, message });
        }
    }
    flags
}

/// Rank order of two landed costs: compliant before flagged; then a known landed cost before
/// an unknown one (priced before unpriced); then the lower landed cost, the lower unit price,
/// the shorter lead time.
pub fn compare_landed(a: (&Offer, &LandedCost), b: (&Offer, &LandedCost)) -> std::cmp::Ordering {
    let key = |(offer, cost): (&Offer, &LandedCost)| {
        let tier = match (offer.unit_price.is_some(), cost.compliant(), cost.landed.is_some()) {
            (false, _, _) => 4,
            (true, true, true) => 0,
            (true, true, false) => 1,
            (true, false, true) => 2,
            (true, false, false) => 3,
        };
        (tier, cost.landed.unwrap_or(f64::INFINITY), offer.unit_price.unwrap_or(f64::INFINITY))
    };
    let (ka, kb) = (key(a), key(b));
    ka.0.cmp(&kb.0)
        .then(ka.1.total_cmp(&kb.1))
        .then(ka.2.total_cmp(&kb.2))
        .then(a.0.lead_time_days.unwrap_or(u32::MAX).cmp(&b.0.lead_time_days.unwrap_or(u32::MAX)))
}

/// The landed cost in words: "$0.3912 landed ($0.37 + $0.025 freight (estimate) − $0.0038 terms)".
pub fn describe_landed(offer: &Offer, cost: &LandedCost) -> String {
    let (Some(landed), Some(price)) = (cost.landed, offer.unit_price) else {
        return match (offer.unit_price, cost.freight) {
            (Some(price), Freight::Origin) => format!("{} + freight not estimated", money(price)),
            _ => "no price".to_owned(),
        };
    };
    let mut parts = vec![money(price)];
    match cost.freight_per_unit {
        Some(freight) if freight > 0.0 => {
            let estimate = if cost.freight_estimated { " estimated" } else { "" };
            parts.push(format!("+ {}{estimate} freight", money(freight)));
        }
        _ => {}
    }
    if cost.terms_adjustment != 0.0 {
        let sign = if cost.terms_adjustment < 0.0 { "−" } else { "+" };
        parts.push(format!("{sign} {} terms", money(cost.terms_adjustment.abs())));
    }
    format!("{} landed ({})", money(landed), parts.join(" "))
}

pub(crate) fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallId, ContactId};

    fn request() -> QuoteRequest {
        QuoteRequest {
            item: "M8 bolts".into(),
            quantity: 10_000,
            unit: "pcs".into(),
            target_price: Some(0.40),
            needed_by: Some("2026-02-14".into()),
            freight_estimate: Some(250.0),
            ..Default::default()
        }
    }

    fn offer(price: f64, moq: u32, lead: u32, freight: &str, terms: &str, valid: Option<u32>) -> Offer {
        Offer {
            call_id: CallId(1),
            contact_id: ContactId(1),
            unit_price: Some(price),
            moq: Some(moq),
            lead_time_days: Some(lead),
            shipping: Some(freight.into()),
            terms: Some(terms.into()),
            valid_days: valid,
            confidence: 1.0,
        }
    }

    const TODAY: Date = jiff::civil::date(2026, 1, 15);

    fn decide(offer: &Offer, quoted_on: Option<Date>) -> LandedCost {
        landed_cost(offer, quoted_on, &Decision { request: &request(), annual_rate: 0.10, today: TODAY })
    }

    #[test]
    fn quoted_freight_is_spread_over_the_quantity_and_terms_discount_the_invoice() {
        // $0.36 + $180 / 10 000 = $0.018 freight; Net 30 at 10 %: factor 0.991848, so the
        // invoice of $0.378 a unit costs 0.378 × (0.991848 − 1) = −$0.003081 in today's money.
        let cost = decide(&offer(0.36, 5000, 14, "$180 for the shipment", "Net 30", Some(30)), Some(TODAY));
        assert_eq!(cost.freight_per_unit, Some(0.018));
        assert!(!cost.freight_estimated);
        assert_eq!(cost.terms_adjustment, -0.0031);
        assert_eq!(cost.landed, Some(0.3749)); // 0.378 − 0.003081 = 0.374919
        assert!(cost.compliant());
    }

    #[test]
    fn origin_quotes_take_the_dispatchers_estimate_marked_as_such() {
        // FOB origin: $250 estimate / 10 000 = $0.025 a unit, not discounted (we pay our carrier).
        // Due on receipt: no adjustment. 0.34 + 0.025 = 0.365.
        let quoted = offer(0.34, 1000, 10, "FOB origin", "due on receipt", None);
        let cost = decide(&quoted, None);
        assert_eq!((cost.freight, cost.freight_per_unit, cost.freight_estimated), (Freight::Origin, Some(0.025), true));
        assert_eq!(cost.landed, Some(0.365));
        assert_eq!(describe_landed(&quoted, &cost), "$0.365 landed ($0.34 + $0.025 estimated freight)");
        // The vendor's own estimate (their lane) takes the place of the campaign's: $400 → $0.04.
        let mut lane = request();
        lane.set_vendor_freight(ContactId(1), Some(400.0));
        let cost = landed_cost(&quoted, None, &Decision { request: &lane, annual_rate: 0.10, today: TODAY });
        assert_eq!((cost.freight_per_unit, cost.landed), (Some(0.04), Some(0.38)));
        // Without an estimate the landed cost is unknown, and says why.
        let none = QuoteRequest { freight_estimate: None, ..request() };
        let cost = landed_cost(&quoted, None, &Decision { request: &none, annual_rate: 0.10, today: TODAY });
        assert_eq!((cost.freight_per_unit, cost.landed), (None, None));
        assert_eq!(describe_landed(&quoted, &cost), "$0.34 + freight not estimated");
    }

    #[test]
    fn paying_up_front_costs_money() {
        // Prepaid, 20 days lead: factor 1.005510; delivered: 0.40 × 0.005510 = +$0.002204.
        let quoted = offer(0.40, 1000, 20, "delivered", "prepaid", None);
        let cost = decide(&quoted, None);
        assert_eq!((cost.terms_adjustment, cost.landed), (0.0022, Some(0.4022)));
        assert_eq!(describe_landed(&quoted, &cost), "$0.4022 landed ($0.40 + $0.0022 terms)");
    }

    #[test]
    fn moq_lead_time_and_validity_are_flagged() {
        // Today 2026-01-15 + 35 days = 2026-02-19, after 2026-02-14. Quoted 2025-12-01, valid
        // 30 days: until 2025-12-31, before today.
        let late = offer(0.30, 25_000, 35, "included", "Net 30", Some(30));
        let cost = decide(&late, Some(jiff::civil::date(2025, 12, 1)));
        let flags: Vec<(FlagKind, &str)> = cost.flags.iter().map(|f| (f.kind, f.message.as_str())).collect();
        assert_eq!(
            flags,
            [
                (FlagKind::MoqAboveQuantity, "minimum order 25000 pcs, above the 10000 asked for"),
                (FlagKind::LateForNeededBy, "arrives 2026-02-19 (35 days), after the needed-by date 2026-02-14"),
                (FlagKind::Expired, "quote expired 2025-12-31 (valid 30 days)"),
            ]
        );
        // Arriving on the needed-by date, valid through today: compliant.
        let on_time = offer(0.30, 10_000, 30, "included", "Net 30", Some(45));
        assert!(decide(&on_time, Some(jiff::civil::date(2025, 12, 1))).compliant());
    }

    #[test]
    fn flagged_quotes_rank_below_compliant_ones_whatever_their_price() {
        let cheap_but_late = offer(0.20, 1000, 60, "included", "Net 30", None);
        let compliant_dear = offer(0.45, 1000, 10, "included", "Net 30", None);
        let compliant_cheap = offer(0.41, 1000, 10, "included", "Net 30", None);
        let mut unpriced = offer(0.0, 1000, 10, "included", "Net 30", None);
        unpriced.unit_price = None;
        let mut quotes: Vec<(&str, &Offer, LandedCost)> = [
            ("late", &cheap_but_late),
            ("unpriced", &unpriced),
            ("dear", &compliant_dear),
            ("cheap", &compliant_cheap),
        ]
        .into_iter()
        .map(|(name, o)| (name, o, decide(o, None)))
        .collect();
        quotes.sort_by(|a, b| compare_landed((a.1, &a.2), (b.1, &b.2)));
        let order: Vec<&str> = quotes.iter().map(|q| q.0).collect();
        assert_eq!(order, ["cheap", "dear", "late", "unpriced"]);
    }
}
