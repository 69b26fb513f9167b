//! Callee personas: who answers a simulated call and what they quote. Seeded by the number
//! dialled, so the same vendor gives the same answers every time.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchboard_core::Contact;

const FIRST_NAMES: [&str; 8] = ["Dana", "Luis", "Priya", "Tom", "Grace", "Marcus", "Ines", "Ken"];
const SHIPPING: [&str; 4] =
    ["FOB origin", "delivered, freight included", "FOB destination", "ex works, you arrange freight"];
const TERMS: [&str; 4] = ["Net 30", "Net 45", "Net 15", "half up front, balance on delivery"];
const MOQS: [u32; 4] = [250, 500, 1000, 2500];

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
    AsksForDispatcher,
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
    match rng.random_range(0..10) {
        0..6 => DriverStance::Acknowledges,
        6..8 => DriverStance::Disputes,
        _ => DriverStance::AsksForDispatcher,
    }
}

/// A vendor's representative and the quote they will give.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorPersona {
    pub first_name: &'static str,
    pub unit_price: f64,
    pub moq: u32,
    pub lead_time_days: u32,
    pub shipping: &'static str,
    pub terms: &'static str,
    /// How far this vendor comes down when asked to negotiate (0 = holds its price).
    pub concession: f64,
    pub stance: VendorStance,
}

impl VendorPersona {
    /// The persona answering `phone_e164` at `contact`, mixed with the simulator's `seed`.
    pub fn for_contact(contact: &Contact, phone_e164: &str, seed: u64, cast: Cast) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ fnv1a(phone_e164.as_bytes()));
        let reference = contact.fields.vendor().and_then(|vendor| vendor.target_price).unwrap_or(5.0);
        let unit_price = (reference * rng.random_range(0.92..1.30) * 100.0).round() / 100.0;
        Self {
            first_name: FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            unit_price,
            moq: MOQS[rng.random_range(0..MOQS.len())],
            lead_time_days: rng.random_range(7..=35),
            shipping: SHIPPING[rng.random_range(0..SHIPPING.len())],
            terms: TERMS[rng.random_range(0..TERMS.len())],
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

    /// What the persona says when asked for the field `key`, and the value it gives (spoken
    /// form), or `None` when it has no answer.
    pub fn answer(&self, key: &str, quantity: u32) -> Option<(String, String)> {
        let (line, value) = match key {
            "unit_price" => (
                format!("For {quantity} units we can do ${:.2} per unit.", self.unit_price),
                format!("${:.2} per unit", self.unit_price),
            ),
            "moq" => (format!("Our minimum order is {} units.", self.moq), format!("{} units", self.moq)),
            "lead_time_days" => (
                format!("Lead time is about {} days from order confirmation.", self.lead_time_days),
                self.lead_time_days.to_string(),
            ),
            "shipping" => (format!("Shipping would be {}.", self.shipping), self.shipping.to_owned()),
            "terms" => (format!("Payment terms are {}.", self.terms), self.terms.to_owned()),
            _ => return None,
        };
        Some((line, value))
    }
}

/// FNV-1a: a stable hash, so personas do not change between runs or Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::{ContactDetails, ContactFields, ContactId, VendorDetails};

    fn vendor(target: f64) -> Contact {
        let details =
            VendorDetails { item: "bolts".into(), quantity: 1000, target_price: Some(target), ..Default::default() };
        Contact {
            id: ContactId(1),
            phone_e164: Some("+13125550143".into()),
            phone_extension: None,
            fields: ContactFields {
                name: "Acme".into(),
                phone: "+13125550143".into(),
                tags: vec![],
                time_zone: None,
                do_not_call: false,
                custom: Default::default(),
                details: ContactDetails::Vendor(details),
            },
        }
    }

    #[test]
    fn same_number_same_persona() {
        let a = VendorPersona::for_contact(&vendor(4.0), "+13125550143", 7, Cast::Realistic);
        let b = VendorPersona::for_contact(&vendor(4.0), "+13125550143", 7, Cast::Realistic);
        let c = VendorPersona::for_contact(&vendor(4.0), "+13125550144", 7, Cast::Realistic);
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
            phones.iter().map(|p| VendorPersona::for_contact(&vendor(4.0), p, 7, Cast::Realistic).stance).collect();
        for kind in [VendorStance::Quotes, VendorStance::Declines, VendorStance::CallBack] {
            assert!(stances.contains(&kind), "{kind:?}");
        }
    }

    #[test]
    fn quotes_stay_near_the_target_price() {
        for n in 0..200u32 {
            let persona = VendorPersona::for_contact(&vendor(4.0), &format!("+1312555{n:04}"), 1, Cast::Realistic);
            assert!((3.68..=5.2).contains(&persona.unit_price), "{}", persona.unit_price);
            assert!((7..=35).contains(&persona.lead_time_days));
        }
    }
}
