//! Reading a quote's freight and payment terms as vendors say them ("FOB origin", "$120
//! freight", "2/10 net 30", "half up front, balance on delivery").

use serde::{Deserialize, Serialize};

/// Who pays the freight, as the vendor quoted it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Freight {
    /// Delivered, freight in the unit price.
    Included,
    /// An amount the vendor adds: for the whole shipment, or per unit.
    Quoted { amount: f64, per_unit: bool },
    /// Ex works or FOB origin: the buyer arranges (and pays) the freight.
    Origin,
    /// Nothing said, or nothing we can read.
    Unknown,
}

const ORIGIN_WORDS: [&str; 9] =
    ["ex works", "ex-works", "exw", "fob origin", "fob shipping point", "you arrange", "collect", "pick up", "pickup"];
const INCLUDED_WORDS: [&str; 7] = ["included", "free", "delivered", "fob destination", "no charge", "ddp", "prepaid"];
const PER_UNIT_WORDS: [&str; 5] = ["per unit", "each", "/unit", "a unit", "per piece"];

impl Freight {
    /// Reads the vendor's words: origin terms first (the amount then is theirs to estimate, not
    /// ours to pay them), then a dollar amount, then "included"/"delivered".
    pub fn read(text: &str) -> Freight {
        let text = text.to_lowercase();
        if ORIGIN_WORDS.iter().any(|w| text.contains(w)) {
            return Freight::Origin;
        }
        if let Some(amount) = dollars(&text) {
            if amount == 0.0 {
                return Freight::Included;
            }
            return Freight::Quoted { amount, per_unit: PER_UNIT_WORDS.iter().any(|w| text.contains(w)) };
        }
        if INCLUDED_WORDS.iter().any(|w| text.contains(w)) {
            return Freight::Included;
        }
        Freight::Unknown
    }
}

/// When the buyer pays, as the vendor's terms say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PaymentTerms {
    /// Share of the price paid with the order (before delivery), 0 to 1.
    pub up_front: f64,
    /// Days after delivery the rest is due (0: on delivery).
    pub net_days: u32,
    /// An early-payment discount: percent off when paid within `days`.
    pub discount: Option<EarlyDiscount>,
}

/// "2/10 net 30": 2 percent off when paid within 10 days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct EarlyDiscount {
    pub percent: f64,
    pub days: u32,
}

impl PaymentTerms {
    /// Reads the vendor's words; `None` when they say nothing we can read.
    pub fn read(text: &str) -> Option<PaymentTerms> {
        let text = text.to_lowercase();
        let net = number_after(&text, "net").map(|n| n as u32);
        let due_at_delivery = ["on receipt", "on delivery", "cod", "cash on delivery", "due on", "balance on"]
            .iter()
            .any(|w| text.contains(w));
        let paid_ahead = ["up front", "upfront", "in advance", "prepay", "prepaid", "deposit", "with order", "cia"]
            .iter()
            .any(|w| text.contains(w));
        let up_front = if !paid_ahead {
            0.0
        } else if text.contains("half") {
            0.5
        } else if let Some(percent) = percent(&text) {
            (percent / 100.0).clamp(0.0, 1.0)
        } else if net.is_some() || text.contains("balance") {
            0.5
        } else {
            1.0
        };
        let discount = text.split_once('/').and_then(|(before, after)| {
            let percent = trailing_number(before)?;
            let days = leading_number(after)?;
            Some(EarlyDiscount { percent, days: days as u32 })
        });
        if net.is_none() && !due_at_delivery && !paid_ahead {
            return None;
        }
        Some(PaymentTerms { up_front, net_days: net.unwrap_or(0), discount: discount.filter(|_| net.is_some()) })
    }

    /// What a dollar of this invoice costs today, paying money at `annual_rate` (0.08 = 8 %) a
    /// year, with the goods `lead_days` after the order: each part's present value at simple
    /// interest, 1 / (1 + rate × days / 365), days counted from delivery (the part paid up
    /// front is paid `lead_days` before it). With an early-payment discount, the cheaper way.
    pub fn cost_factor(&self, annual_rate: f64, lead_days: u32) -> f64 {
        let present = |days: f64| 1.0 / (1.0 + annual_rate * days / 365.0);
        let ahead = self.up_front * present(-f64::from(lead_days));
        let later = 1.0 - self.up_front;
        let on_terms = ahead + later * present(f64::from(self.net_days));
        match self.discount {
            Some(d) => on_terms.min(ahead + later * (1.0 - d.percent / 100.0) * present(f64::from(d.days))),
            None => on_terms,
        }
    }
}

/// The first "$12.50"-style amount (or a number followed by "dollars").
fn dollars(text: &str) -> Option<f64> {
    if let Some((_, after)) = text.split_once('$') {
        return leading_number(after);
    }
    let (before, _) = text.split_once("dollar")?;
    trailing_number(before)
}

/// The number in front of a "%".
fn percent(text: &str) -> Option<f64> {
    let (before, _) = text.split_once('%')?;
    trailing_number(before)
}

/// The number after `word` ("net 30" → 30, "net30" → 30).
fn number_after(text: &str, word: &str) -> Option<f64> {
    let at = text.find(word)?;
    leading_number(&text[at + word.len()..])
}

/// The number at the start of `text`, spaces skipped, thousands commas ignored.
pub(crate) fn leading_number(text: &str) -> Option<f64> {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    digits.trim_end_matches('.').parse().ok()
}

/// The number at the end of `text`, spaces skipped.
fn trailing_number(text: &str) -> Option<f64> {
    let text = text.trim_end();
    let start = text.rfind(|c: char| !(c.is_ascii_digit() || c == '.')).map_or(0, |i| i + 1);
    text[start..].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freight_reads_as_vendors_say_it() {
        assert_eq!(Freight::read("FOB origin"), Freight::Origin);
        assert_eq!(Freight::read("ex works, you arrange freight"), Freight::Origin);
        assert_eq!(Freight::read("delivered, freight included"), Freight::Included);
        assert_eq!(Freight::read("FOB destination"), Freight::Included);
        assert_eq!(Freight::read("$180 flat for the shipment"), Freight::Quoted { amount: 180.0, per_unit: false });
        assert_eq!(Freight::read("$1,250 freight"), Freight::Quoted { amount: 1250.0, per_unit: false });
        assert_eq!(
            Freight::read("two cents each, so $0.02 per unit"),
            Freight::Quoted { amount: 0.02, per_unit: true }
        );
        assert_eq!(Freight::read("about 90 dollars"), Freight::Quoted { amount: 90.0, per_unit: false });
        assert_eq!(Freight::read("we'll see"), Freight::Unknown);
    }

    #[test]
    fn payment_terms_read_as_vendors_say_them() {
        let net = |days| Some(PaymentTerms { up_front: 0.0, net_days: days, discount: None });
        assert_eq!(PaymentTerms::read("Net 30"), net(30));
        assert_eq!(PaymentTerms::read("net45"), net(45));
        assert_eq!(PaymentTerms::read("due on receipt"), net(0));
        assert_eq!(
            PaymentTerms::read("2/10 net 30"),
            Some(PaymentTerms {
                up_front: 0.0,
                net_days: 30,
                discount: Some(EarlyDiscount { percent: 2.0, days: 10 })
            })
        );
        assert_eq!(
            PaymentTerms::read("half up front, balance on delivery"),
            Some(PaymentTerms { up_front: 0.5, net_days: 0, discount: None })
        );
        assert_eq!(
            PaymentTerms::read("30% deposit, balance net 30"),
            Some(PaymentTerms { up_front: 0.3, net_days: 30, discount: None })
        );
        assert_eq!(PaymentTerms::read("prepaid"), Some(PaymentTerms { up_front: 1.0, net_days: 0, discount: None }));
        assert_eq!(PaymentTerms::read("the usual"), None);
    }

    #[test]
    fn the_cost_of_a_dollar_follows_when_it_is_paid() {
        // Net 30 at 10 % a year: 1 / (1 + 0.10 × 30/365) = 1 / 1.008219… = 0.991848.
        let net30 = PaymentTerms::read("Net 30").unwrap();
        assert!((net30.cost_factor(0.10, 14) - 0.991_848).abs() < 1e-6);
        // Paid with the order, 20 days before delivery: 1 / (1 − 0.10 × 20/365) = 1.005510.
        let prepaid = PaymentTerms::read("prepaid").unwrap();
        assert!((prepaid.cost_factor(0.10, 20) - 1.005_510).abs() < 1e-6);
        // Half 20 days ahead, half on delivery: (1.005510 + 1) / 2 = 1.002755.
        let half = PaymentTerms::read("half up front, balance on delivery").unwrap();
        assert!((half.cost_factor(0.10, 20) - 1.002_755).abs() < 1e-6);
        // 2/10 net 30 at 10 %: the discount, 0.98 / (1 + 0.10 × 10/365) = 0.977323, beats 0.991848.
        let discount = PaymentTerms::read("2/10 net 30").unwrap();
        assert!((discount.cost_factor(0.10, 14) - 0.977_323).abs() < 1e-6);
        // At a rate of nothing, terms change nothing.
        assert_eq!(net30.cost_factor(0.0, 14), 1.0);
    }
}
