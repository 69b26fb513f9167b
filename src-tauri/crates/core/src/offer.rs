//! Offers: the quote a vendor call yields, read from the fields the agent collected.

use serde::{Deserialize, Serialize};

use crate::{CallId, ContactId};

/// The collected-field keys a quote is made of. Freight also reads from `shipping` and payment
/// terms from `terms` (the keys agents used before).
pub const QUOTE_FIELDS: [&str; 6] =
    ["unit_price", "moq", "lead_time_days", "freight", "payment_terms", "quote_valid_days"];

/// Whether `key` is one of the quote's own fields (or a key agents used for one before).
pub fn is_quote_field(key: &str) -> bool {
    QUOTE_FIELDS.contains(&key) || matches!(key, "shipping" | "terms")
}

/// A vendor's quote from one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub call_id: CallId,
    pub contact_id: ContactId,
    pub unit_price: Option<f64>,
    pub moq: Option<u32>,
    pub lead_time_days: Option<u32>,
    /// Freight as quoted: included, an amount, or ex works / FOB origin.
    pub shipping: Option<String>,
    /// Payment terms as quoted.
    pub terms: Option<String>,
    /// How many days the quote holds from the call.
    #[serde(default)]
    pub valid_days: Option<u32>,
    /// Share of the quote fields obtained, 0.0 to 1.0.
    pub confidence: f64,
}

impl Offer {
    /// Builds the offer from a call's collected fields (key, value as spoken). Values that do not
    /// read as their type count as not obtained. `None` when no quote field was obtained at all.
    pub fn from_fields<'a>(
        call_id: CallId,
        contact_id: ContactId,
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<Offer> {
        let mut offer = Offer {
            call_id,
            contact_id,
            unit_price: None,
            moq: None,
            lead_time_days: None,
            shipping: None,
            terms: None,
            valid_days: None,
            confidence: 0.0,
        };
        for (key, value) in fields {
            let value = value.trim();
            match key {
                "unit_price" => offer.unit_price = first_number(value),
                "moq" => offer.moq = first_number(value).and_then(whole),
                "lead_time_days" => offer.lead_time_days = first_number(value).and_then(whole),
                "freight" | "shipping" if !value.is_empty() => offer.shipping = Some(value.to_owned()),
                "payment_terms" | "terms" if !value.is_empty() => offer.terms = Some(value.to_owned()),
                "quote_valid_days" => offer.valid_days = first_number(value).and_then(whole),
                _ => {}
            }
        }
        offer.confidence = offer.share_obtained();
        (offer.confidence > 0.0).then_some(offer)
    }

    /// This offer, with what it does not say taken from an earlier offer of the same vendor
    /// (a negotiation round revises the price; the MOQ and shipping from round 1 still hold).
    pub fn filled_from(&self, earlier: &Offer) -> Offer {
        let mut offer = self.clone();
        offer.unit_price = offer.unit_price.or(earlier.unit_price);
        offer.moq = offer.moq.or(earlier.moq);
        offer.lead_time_days = offer.lead_time_days.or(earlier.lead_time_days);
        offer.shipping = offer.shipping.or_else(|| earlier.shipping.clone());
        offer.terms = offer.terms.or_else(|| earlier.terms.clone());
        offer.valid_days = offer.valid_days.or(earlier.valid_days);
        offer.confidence = offer.share_obtained();
        offer
    }

    /// The share of the quote fields this offer has, 0.0 to 1.0.
    fn share_obtained(&self) -> f64 {
        let obtained = [
            self.unit_price.is_some(),
            self.moq.is_some(),
            self.lead_time_days.is_some(),
            self.shipping.is_some(),
            self.terms.is_some(),
            self.valid_days.is_some(),
        ];
        obtained.iter().filter(|got| **got).count() as f64 / QUOTE_FIELDS.len() as f64
    }
}

/// The first decimal number in spoken text: "$4.50 per unit" → 4.5, "1,000 units" → 1000.
pub(crate) fn first_number(text: &str) -> Option<f64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    digits.trim_end_matches('.').parse().ok()
}

fn whole(number: f64) -> Option<u32> {
    (number.fract() == 0.0 && number >= 0.0 && number <= f64::from(u32::MAX)).then_some(number as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_quote_has_full_confidence() {
        let fields = [
            ("unit_price", "$4.50 per unit"),
            ("moq", "1,000 units"),
            ("lead_time_days", "14"),
            ("freight", "FOB origin"),
            ("payment_terms", "Net 30"),
            ("quote_valid_days", "30 days"),
        ];
        let offer = Offer::from_fields(CallId(1), ContactId(2), fields).unwrap();
        assert_eq!(offer.unit_price, Some(4.5));
        assert_eq!(offer.moq, Some(1000));
        assert_eq!(offer.lead_time_days, Some(14));
        assert_eq!(offer.shipping.as_deref(), Some("FOB origin"));
        assert_eq!((offer.terms.as_deref(), offer.valid_days), (Some("Net 30"), Some(30)));
        assert_eq!(offer.confidence, 1.0);
    }

    #[test]
    fn confidence_is_the_share_of_fields_obtained() {
        // The keys agents used before still read: `terms` is the payment terms.
        let fields = [("unit_price", "4.10"), ("moq", "about a pallet"), ("terms", "Net 45"), ("other", "x")];
        let offer = Offer::from_fields(CallId(1), ContactId(2), fields).unwrap();
        assert_eq!((offer.moq, offer.terms.as_deref()), (None, Some("Net 45")));
        assert!((offer.confidence - 2.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn no_quote_fields_means_no_offer() {
        assert_eq!(Offer::from_fields(CallId(1), ContactId(2), [("notes", "call back Monday")]), None);
    }
}
