//! A vendor's final offer as the quote summary ranks it, with its price in every round.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Offer;
use crate::landed::{LandedCost, describe_landed};
use crate::quote_request::money;

/// What a vendor quoted in one round (no price when they gave none), and what it landed at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoundPrice {
    pub round: u8,
    pub unit_price: Option<f64>,
    #[serde(default)]
    pub landed: Option<f64>,
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
    /// The final offer's landed cost (summaries stored before landed costs have none).
    #[serde(default)]
    pub landed: Option<LandedCost>,
    /// Every field collected across the vendor's calls, the latest round's value kept.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
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

    /// The landed unit cost of the final offer, if known.
    pub fn landed_price(&self) -> Option<f64> {
        self.landed.as_ref().and_then(|l| l.landed)
    }

    /// The landed cost in words (the unit price, for a summary stored before landed costs).
    pub fn describe_landed(&self) -> String {
        match (&self.landed, self.offer.unit_price) {
            (Some(cost), _) => describe_landed(&self.offer, cost),
            (None, Some(price)) => money(price),
            (None, None) => "no price".to_owned(),
        }
    }

    /// Whether the final offer meets the request (a summary without landed costs: yes).
    pub fn compliant(&self) -> bool {
        self.landed.as_ref().is_none_or(LandedCost::compliant)
    }
}
