//! A request for quotes, carried by a vendor-quote campaign: what to buy, how many, for how much,
//! where and by when. It fills the agents' variables; vendors keep only their own facts.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{ContactId, FieldError, Variables};

/// The most units one request may ask for: beyond it a typo, not an order.
pub const MAX_QUANTITY: u32 = 100_000_000;
/// The highest target unit price accepted, in dollars.
pub const MAX_TARGET_PRICE: f64 = 1_000_000.0;
/// The highest freight estimate accepted for one shipment, in dollars.
pub const MAX_FREIGHT_ESTIMATE: f64 = 10_000_000.0;

/// What a vendor-quote campaign asks every vendor for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct QuoteRequest {
    pub item: String,
    pub quantity: u32,
    /// What the quantity counts ("units", "boxes", "kg").
    pub unit: String,
    /// The landed unit price the buyer hopes for, in dollars.
    pub target_price: Option<f64>,
    pub delivery_location: Option<String>,
    /// The date the goods are needed by, `YYYY-MM-DD`.
    pub needed_by: Option<String>,
    pub notes: Option<String>,
    /// What the dispatcher expects freight to cost for the whole shipment when a vendor quotes
    /// ex works or FOB origin (the buyer arranges the freight), in dollars.
    pub freight_estimate: Option<f64>,
    /// The dispatcher's freight estimates for single vendors' ex-works / FOB-origin quotes
    /// (their lane), entered once the quotes are in; they take the place of `freight_estimate`.
    pub vendor_freight: Vec<VendorFreight>,
}

/// A freight estimate for one vendor's shipment, in dollars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VendorFreight {
    pub contact_id: ContactId,
    pub amount: f64,
}

/// Why a freight estimate cannot be used, or `None` when it can.
pub fn freight_estimate_problem(estimate: f64) -> Option<String> {
    (!(estimate.is_finite() && (0.0..=MAX_FREIGHT_ESTIMATE).contains(&estimate)))
        .then(|| format!("the freight estimate is $0 to ${MAX_FREIGHT_ESTIMATE:.0} for the shipment, not {estimate}"))
}

impl QuoteRequest {
    /// Every problem with the request, by field (paths under `request.`), given today's date.
    pub fn problems(&self, today: Date) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let mut problem =
            |field: &str, message: String| problems.push(FieldError::new(format!("request.{field}"), message));
        if self.item.trim().is_empty() {
            problem("item", "say what to quote (the item)".into());
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            problem(
                "quantity",
                format!("the quantity is a whole number from 1 to {MAX_QUANTITY}, not {}", self.quantity),
            );
        }
        if let Some(price) = self.target_price
            && !(price.is_finite() && price > 0.0 && price <= MAX_TARGET_PRICE)
        {
            problem(
                "targetPrice",
                format!("the target price is above $0 and at most ${MAX_TARGET_PRICE:.0} per unit, not {price}"),
            );
        }
        if let Some(message) = self.freight_estimate.and_then(freight_estimate_problem) {
            problem("freightEstimate", message);
        }
        for (i, vendor) in self.vendor_freight.iter().enumerate() {
            if let Some(message) = freight_estimate_problem(vendor.amount) {
                problem(&format!("vendorFreight.{i}.amount"), message);
            }
        }
        match self.needed_by.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(|d| (d, d.parse::<Date>())) {
            None => {}
            Some((text, Err(_))) => problem("neededBy", format!("\"{text}\" is not a date (YYYY-MM-DD)")),
            Some((text, Ok(date))) if date < today => {
                problem("neededBy", format!("the needed-by date {text} is in the past (today is {today})"))
            }
            Some(_) => {}
        }
        problems
    }

    /// The freight estimate for `vendor`'s shipment: theirs, else the campaign's.
    pub fn freight_estimate_for(&self, vendor: ContactId) -> Option<f64> {
        self.vendor_freight.iter().find(|f| f.contact_id == vendor).map(|f| f.amount).or(self.freight_estimate)
    }

    /// Sets (or, with `None`, removes) the freight estimate for `vendor`'s shipment.
    pub fn set_vendor_freight(&mut self, vendor: ContactId, amount: Option<f64>) {
        self.vendor_freight.retain(|f| f.contact_id != vendor);
        if let Some(amount) = amount {
            self.vendor_freight.push(VendorFreight { contact_id: vendor, amount });
        }
    }

    /// The needed-by date, when one is set and reads as a date.
    pub fn needed_by_date(&self) -> Option<Date> {
        self.needed_by.as_deref().and_then(|d| d.trim().parse().ok())
    }

    /// The unit the quantity counts, "units" when none was given.
    pub fn unit_name(&self) -> &str {
        let unit = self.unit.trim();
        if unit.is_empty() { "units" } else { unit }
    }

    /// The agents' variables this request fills: `item`, `quantity`, `unit`, `request_details`
    /// (where, by when and the notes, in a sentence or two; empty when none is set), and those
    /// set of `target_price`, `delivery_location`, `needed_by`, `request_notes`.
    pub fn variables(&self) -> Variables {
        let mut vars = Variables::new();
        vars.insert("item".into(), self.item.trim().to_owned());
        vars.insert("quantity".into(), self.quantity.to_string());
        vars.insert("unit".into(), self.unit_name().to_owned());
        if let Some(price) = self.target_price {
            vars.insert("target_price".into(), money(price));
        }
        let texts = [
            ("delivery_location", &self.delivery_location),
            ("needed_by", &self.needed_by),
            ("request_notes", &self.notes),
        ];
        let mut details = Vec::new();
        for (key, value) in texts {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                vars.insert(key.into(), value.to_owned());
                details.push(match key {
                    "delivery_location" => format!("Delivery to {value}."),
                    "needed_by" => format!("Needed by {value}."),
                    _ => format!("Notes: {value}"),
                });
            }
        }
        vars.insert("request_details".into(), details.join(" "));
        vars
    }
}

/// Dollars as a buyer reads them: cents always, and fractions of a cent when they matter
/// (0.38 → "$0.38", 0.3915 → "$0.3915"), to at most four decimals.
pub fn money(value: f64) -> String {
    let text = format!("{value:.4}");
    let trimmed = text.trim_end_matches('0');
    let decimals = trimmed.split_once('.').map_or(0, |(_, d)| d.len());
    if decimals < 2 { format!("${value:.2}") } else { format!("${trimmed}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> QuoteRequest {
        QuoteRequest {
            item: "M8x50 hex bolts".into(),
            quantity: 10_000,
            unit: "pcs".into(),
            target_price: Some(0.38),
            delivery_location: Some("Dock 4, Joliet IL".into()),
            needed_by: Some("2026-03-01".into()),
            notes: None,
            freight_estimate: Some(150.0),
            vendor_freight: Vec::new(),
        }
    }

    const TODAY: Date = jiff::civil::date(2026, 1, 15);

    #[test]
    fn a_sound_request_fills_the_agents_variables() {
        assert!(request().problems(TODAY).is_empty());
        let vars = request().variables();
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("delivery_location", "Dock 4, Joliet IL"),
                ("item", "M8x50 hex bolts"),
                ("needed_by", "2026-03-01"),
                ("quantity", "10000"),
                ("request_details", "Delivery to Dock 4, Joliet IL. Needed by 2026-03-01."),
                ("target_price", "$0.38"),
                ("unit", "pcs"),
            ]
        );
    }

    #[test]
    fn bad_input_is_refused_field_by_field_with_the_reason() {
        let bad = QuoteRequest {
            item: " ".into(),
            quantity: 0,
            target_price: Some(-0.5),
            freight_estimate: Some(5e9),
            needed_by: Some("2026-01-14".into()),
            ..request()
        };
        let problems: Vec<(String, String)> = bad.problems(TODAY).into_iter().map(|p| (p.field, p.message)).collect();
        assert_eq!(
            problems,
            [
                ("request.item".into(), "say what to quote (the item)".into()),
                ("request.quantity".into(), "the quantity is a whole number from 1 to 100000000, not 0".into()),
                (
                    "request.targetPrice".into(),
                    "the target price is above $0 and at most $1000000 per unit, not -0.5".into()
                ),
                (
                    "request.freightEstimate".into(),
                    "the freight estimate is $0 to $10000000 for the shipment, not 5000000000".into()
                ),
                (
                    "request.neededBy".into(),
                    "the needed-by date 2026-01-14 is in the past (today is 2026-01-15)".into()
                ),
            ]
        );
        let mut absurd = QuoteRequest { target_price: Some(2e6), needed_by: Some("next week".into()), ..request() };
        absurd.set_vendor_freight(ContactId(7), Some(-1.0));
        let fields: Vec<String> = absurd.problems(TODAY).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["request.targetPrice", "request.vendorFreight.0.amount", "request.neededBy"]);
        let due_today = QuoteRequest { needed_by: Some("2026-01-15".into()), ..request() };
        assert!(due_today.problems(TODAY).is_empty());
    }

    #[test]
    fn a_vendors_own_freight_estimate_takes_the_place_of_the_campaigns() {
        let mut request = request();
        request.set_vendor_freight(ContactId(3), Some(400.0));
        request.set_vendor_freight(ContactId(3), Some(420.0));
        assert_eq!(request.freight_estimate_for(ContactId(3)), Some(420.0));
        assert_eq!(request.freight_estimate_for(ContactId(4)), Some(150.0));
        request.set_vendor_freight(ContactId(3), None);
        assert_eq!(request.freight_estimate_for(ContactId(3)), Some(150.0));
    }

    #[test]
    fn money_shows_cents_and_the_fractions_that_matter() {
        assert_eq!(money(0.38), "$0.38");
        assert_eq!(money(0.3915), "$0.3915");
        assert_eq!(money(0.385), "$0.385");
        assert_eq!(money(12.0), "$12.00");
        assert_eq!(money(0.123_456), "$0.1235");
    }
}
