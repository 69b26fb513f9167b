//! Callee personas: who answers a simulated call and what they quote. Seeded by the number
//! dialled, so the same vendor gives the same answers every time.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchboard_core::Variables;

const FIRST_NAMES: [&str; 8] = ["Dana", "Luis", "Priya", "Tom", "Grace", "Marcus", "Ines", "Ken"];
const ORIGIN: [&str; 2] = ["FOB origin", "ex works, you arrange freight"];
const TERMS: [&str; 6] =
    ["Net 30", "Net 45", "Net 60", "2/10 net 30", "half up front, balance on delivery", "prepaid with the order"];
/// Minimum orders as a share of the quantity asked for: one in four asks for more than that.
const MOQ_SHARES: [f64; 4] = [0.05, 0.25, 0.5, 2.5];
const VALID_DAYS: [u32; 4] = [7, 14, 30, 60];

/// Who the simulated callees are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cast {
    /// A realistic mix, seeded per number: some do not answer, are busy, have voicemail,
    /// decline, ask to be called back, dispute, or ask for the dispatcher.
    #[default]
    Realistic,
    /// Everyone answers and cooperates: for demos and tests that need every call to land.
    Cooperative,
}

/// What happens when the number is dialled, on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Answers,
    NoAnswer,
    Busy,
    Voicemail,
}

/// How an answering vendor responds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorStance {
    Quotes,
    Declines,
    CallBack,
}

/// How an answering driver responds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverStance {
    Acknowledges,
    Disputes,
    /// Transferred when the agent has a number, else promised a call back.
    AsksForDispatcher,
    /// Wants the dispatcher to call back rather than hold for a transfer.
    WantsCallBack,
    /// Answers at the wheel: the agent says it will call back.
    Driving,
    /// The line drops while the driver explains.
    LineDrops,
}

/// Whether the number answers on this attempt: a stable draw per number and attempt, so a
/// retry can succeed where the first attempt did not.
pub fn reach(cast: Cast, seed: u64, phone_e164: &str, attempt: u32) -> Reach {
    if cast == Cast::Cooperative {
        return Reach::Answers;
    }
    let mut rng = SmallRng::seed_from_u64(
        seed ^ fnv1a(phone_e164.as_bytes()) ^ u64::from(attempt).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    match rng.random_range(0..100) {
        0..72 => Reach::Answers,
        72..82 => Reach::NoAnswer,
        82..90 => Reach::Busy,
        _ => Reach::Voicemail,
    }
}

/// How the driver at this number responds (stable per number).
pub fn driver_stance(cast: Cast, seed: u64, phone_e164: &str) -> DriverStance {
    if cast == Cast::Cooperative {
        return DriverStance::Acknowledges;
    }
    let mut rng = SmallRng::seed_from_u64(seed ^ fnv1a(phone_e164.as_bytes()) ^ 0xd21e);
    match rng.random_range(0..20) {
        0..8 => DriverStance::Acknowledges,
        8..12 => DriverStance::Disputes,
        12..14 => DriverStance::AsksForDispatcher,
        14..16 => DriverStance::WantsCallBack,
        16..18 => DriverStance::Driving,
        _ => DriverStance::LineDrops,
    }
}

/// How a vendor quotes freight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FreightQuote {
    /// Ex works or FOB origin: the buyer arranges it.
    Origin(&'static str),
    /// An amount for the shipment: this share of the order's value.
    Amount(f64),
    Included,
}

/// A vendor's representative and the quote they will give. Vendors who price low tend to add
/// freight (or leave it to the buyer), so the cheapest unit price is often not the cheapest landed.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorPersona {
    pub first_name: &'static str,
    pub unit_price: f64,
    /// The minimum order as a share of the quantity asked for.
    pub moq_share: f64,
    pub lead_time_days: u32,
    pub freight: FreightQuote,
    pub terms: &'static str,
    pub valid_days: u32,
    /// How far this vendor comes down when asked to negotiate (0 = holds its price).
    pub concession: f64,
    pub stance: VendorStance,
}

impl VendorPersona {
    /// The persona answering a call with `variables` at `phone_e164`: quoting near the
    /// request's `target_price`, and from its first quote (`their_price`) when called back
    /// to negotiate.
    pub fn for_call(phone_e164: &str, variables: &Variables, seed: u64, cast: Cast) -> Self {
        let dollars = |key: &str| variables.get(key).and_then(|v| v.trim().trim_start_matches('$').parse::<f64>().ok());
        let mut persona = Self::for_vendor(phone_e164, dollars("target_price"), seed, cast);
        if let Some(quoted) = dollars("their_price") {
            persona.unit_price = quoted;
        }
        persona
    }

    /// The persona answering `phone_e164`, quoting near `target` per unit ($5 without one),
    /// mixed with the simulator's `seed`.
    pub fn for_vendor(phone_e164: &str, target: Option<f64>, seed: u64, cast: Cast) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ fnv1a(phone_e164.as_bytes()));
        let reference = target.unwrap_or(5.0);
        let factor = rng.random_range(0.92..1.30);
        let unit_price = (reference * factor * 100.0).round() / 100.0;
        let freight = match factor {
            ..1.04 => FreightQuote::Origin(ORIGIN[rng.random_range(0..ORIGIN.len())]),
            ..1.16 => FreightQuote::Amount(rng.random_range(0.08..0.16)),
            _ => FreightQuote::Included,
        };
        Self {
            first_name: FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            unit_price,
            moq_share: MOQ_SHARES[rng.random_range(0..MOQ_SHARES.len())],
            lead_time_days: rng.random_range(7..=35),
            freight,
            terms: TERMS[rng.random_range(0..TERMS.len())],
            valid_days: VALID_DAYS[rng.random_range(0..VALID_DAYS.len())],
            concession: if rng.random_range(0..4) == 0 { 0.0 } else { rng.random_range(0.02..0.09) },
            stance: match (cast, rng.random_range(0..100)) {
                (Cast::Cooperative, _) | (_, 0..85) => VendorStance::Quotes,
                (_, 85..93) => VendorStance::Declines,
                _ => VendorStance::CallBack,
            },
        }
    }

    /// The same vendor when pressed on price: its concession taken off (to the cent).
    pub fn negotiating(&self) -> Self {
        let unit_price = (self.unit_price * (1.0 - self.concession) * 100.0).round() / 100.0;
        Self { unit_price, ..self.clone() }
    }

    /// What the persona says when asked for the field `key` about `quantity` units (0: none
    /// asked for), and the value it gives (spoken form), or `None` when it has no answer.
    pub fn answer(&self, key: &str, quantity: u32) -> Option<(String, String)> {
        let (line, value) = match key {
            "unit_price" => (
                match quantity {
                    0 => format!("We can do ${:.2} per unit.", self.unit_price),
                    _ => format!("For {quantity} units we can do ${:.2} per unit.", self.unit_price),
                },
                format!("${:.2} per unit", self.unit_price),
            ),
            "moq" => {
                let moq = self.moq(quantity);
                (format!("Our minimum order is {moq} units."), format!("{moq} units"))
            }
            "lead_time_days" => (
                format!("Lead time is about {} days from order confirmation.", self.lead_time_days),
                self.lead_time_days.to_string(),
            ),
            "freight" | "shipping" => {
                let freight = self.freight_words(quantity);
                (format!("Freight: {freight}."), freight)
            }
            "payment_terms" | "terms" => (format!("Payment terms are {}.", self.terms), self.terms.to_owned()),
            "quote_valid_days" => {
                (format!("This quote is good for {} days.", self.valid_days), format!("{} days", self.valid_days))
            }
            _ => return None,
        };
        Some((line, value))
    }
}

impl VendorPersona {
    /// The minimum order for `quantity` units, in fifties (at least 50).
    pub fn moq(&self, quantity: u32) -> u32 {
        let base = if quantity == 0 { 1000.0 } else { f64::from(quantity) };
        ((base * self.moq_share / 50.0).round() as u32).max(1) * 50
    }

    /// What the vendor says about freight on an order of `quantity` units.
    fn freight_words(&self, quantity: u32) -> String {
        match self.freight {
            FreightQuote::Origin(words) => words.to_owned(),
            FreightQuote::Amount(share) => {
                let amount = (self.unit_price * f64::from(quantity.max(1)) * share).round();
                format!("${amount:.0} for the shipment")
            }
            FreightQuote::Included => "delivered, freight included".to_owned(),
        }
    }
}

/// FNV-1a: a stable hash, so personas do not change between runs or Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn same_number_same_persona() {
        let a = VendorPersona::for_vendor("+13125550143", Some(4.0), 7, Cast::Realistic);
        let b = VendorPersona::for_vendor("+13125550143", Some(4.0), 7, Cast::Realistic);
        let c = VendorPersona::for_vendor("+13125550144", Some(4.0), 7, Cast::Realistic);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn the_realistic_cast_has_every_kind_of_callee_and_retries_can_land() {
        let phones: Vec<String> = (0..400).map(|n| format!("+1312555{n:04}")).collect();
        let first: Vec<Reach> = phones.iter().map(|p| reach(Cast::Realistic, 7, p, 1)).collect();
        for kind in [Reach::Answers, Reach::NoAnswer, Reach::Busy, Reach::Voicemail] {
            assert!(first.contains(&kind), "{kind:?}");
        }
        let answered = first.iter().filter(|r| **r == Reach::Answers).count();
        assert!((250..330).contains(&answered), "about 72% answer: {answered}");
        let missed = phones.iter().zip(&first).filter(|(_, r)| **r != Reach::Answers);
        assert!(missed.clone().any(|(p, _)| reach(Cast::Realistic, 7, p, 2) == Reach::Answers), "a retry can land");
        assert!(phones.iter().all(|p| reach(Cast::Cooperative, 7, p, 1) == Reach::Answers));
        let stances: Vec<VendorStance> =
            phones.iter().map(|p| VendorPersona::for_vendor(p, Some(4.0), 7, Cast::Realistic).stance).collect();
        for kind in [VendorStance::Quotes, VendorStance::Declines, VendorStance::CallBack] {
            assert!(stances.contains(&kind), "{kind:?}");
        }
        let drivers: Vec<DriverStance> = phones.iter().map(|p| driver_stance(Cast::Realistic, 7, p)).collect();
        for kind in [
            DriverStance::Acknowledges,
            DriverStance::Disputes,
            DriverStance::AsksForDispatcher,
            DriverStance::WantsCallBack,
            DriverStance::Driving,
            DriverStance::LineDrops,
        ] {
            let share = drivers.iter().filter(|d| **d == kind).count();
            assert!(share >= 20, "at least one driver in twenty is {kind:?}: {share} of 400");
        }
    }

    #[test]
    fn the_cast_quotes_every_kind_of_freight_terms_and_minimum() {
        let personas: Vec<VendorPersona> = (0..200u32)
            .map(|n| VendorPersona::for_vendor(&format!("+1312555{n:04}"), Some(4.0), 1, Cast::Realistic))
            .collect();
        let freight: Vec<String> = personas.iter().map(|p| p.answer("freight", 1000).unwrap().1).collect();
        assert!(freight.iter().any(|f| f == "FOB origin") && freight.iter().any(|f| f.starts_with("ex works")));
        assert!(freight.iter().any(|f| f.ends_with(" for the shipment")));
        assert!(freight.iter().any(|f| f == "delivered, freight included"));
        for terms in TERMS {
            assert!(personas.iter().any(|p| p.terms == terms), "{terms}");
        }
        assert!(personas.iter().any(|p| p.moq(1000) > 1000), "some ask for more than the quantity");
        // The low-priced ones leave freight to the buyer or add it; the dear ones deliver.
        let cheapest = personas.iter().min_by(|a, b| a.unit_price.total_cmp(&b.unit_price)).unwrap();
        assert!(matches!(cheapest.freight, FreightQuote::Origin(_)), "{cheapest:?}");
        let dearest = personas.iter().max_by(|a, b| a.unit_price.total_cmp(&b.unit_price)).unwrap();
        assert_eq!(dearest.freight, FreightQuote::Included);
        assert_eq!(personas[0].answer("quote_valid_days", 1000).unwrap().1, format!("{} days", personas[0].valid_days));
    }

    #[test]
    fn a_call_quotes_near_the_requests_target_and_negotiates_from_its_first_quote() {
        let phone = "+13125550143";
        let round_one = Variables::from([("target_price".to_owned(), "$0.42".to_owned())]);
        let first = VendorPersona::for_call(phone, &round_one, 7, Cast::Realistic);
        assert_eq!(first, VendorPersona::for_vendor(phone, Some(0.42), 7, Cast::Realistic));
        let mut round_two = round_one.clone();
        round_two.insert("target_price".into(), "$0.3915".into());
        round_two.insert("their_price".into(), format!("${:.2}", first.unit_price));
        assert_eq!(VendorPersona::for_call(phone, &round_two, 7, Cast::Realistic), first);
    }

    #[test]
    fn quotes_stay_near_the_target_price() {
        for n in 0..200u32 {
            let persona = VendorPersona::for_vendor(&format!("+1312555{n:04}"), Some(4.0), 1, Cast::Realistic);
            assert!((3.68..=5.2).contains(&persona.unit_price), "{}", persona.unit_price);
            assert!((7..=35).contains(&persona.lead_time_days));
        }
    }
}
