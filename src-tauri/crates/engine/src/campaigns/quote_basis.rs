//! What a vendor-quote campaign's quotes are weighed on: its request (or, for a campaign
//! launched before requests were kept, what its vendors' stored details or summary still say), the yearly rate for payment
//! terms from Settings, today's date, and each round's quotes with the day they were given and
//! every field collected.

use std::collections::BTreeMap;

use jiff::civil::Date;
use switchboard_core::{QuoteRequest, RoundQuote};
use switchboard_store::Store;

use super::spec::CampaignSpec;
use crate::clock::local_date;
use crate::settings::payment_terms_rate;
use crate::{EngineError, now};

/// The request, the yearly rate (0.08 = 8 %) and today's date a campaign's quotes are weighed on.
pub(crate) struct QuoteBasis {
    pub request: QuoteRequest,
    pub annual_rate: f64,
    pub today: Date,
}

impl QuoteBasis {
    pub fn decision(&self) -> switchboard_core::Decision<'_> {
        switchboard_core::Decision { request: &self.request, annual_rate: self.annual_rate, today: self.today }
    }
}

/// The basis of campaign `id`'s quotes (launched as `spec`), read now.
pub(crate) fn quote_basis(store: &Store, id: i64, spec: &CampaignSpec) -> Result<QuoteBasis, EngineError> {
    let request = campaign_request(store, id, spec)?;
    let annual_rate = payment_terms_rate(store)? / 100.0;
    Ok(QuoteBasis { request, annual_rate, today: local_date(now()) })
}

/// What campaign `id` asked for: its spec's request or, for a campaign launched before
/// campaigns carried one, the item, quantity and target its first vendor's stored details
/// still have, else the target its stored summary names.
pub(crate) fn campaign_request(store: &Store, id: i64, spec: &CampaignSpec) -> Result<QuoteRequest, EngineError> {
    if let Some(request) = &spec.request {
        return Ok(request.clone());
    }
    if let Some((item, quantity, target_price)) = store.legacy_vendor_request(&spec.contacts)? {
        return Ok(QuoteRequest { item, quantity, target_price, ..QuoteRequest::default() });
    }
    let summary = store.campaign(id)?.and_then(|campaign| campaign.summary);
    let target_price = summary
        .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
        .and_then(|summary| summary.get("targetPrice").and_then(serde_json::Value::as_f64));
    Ok(QuoteRequest { target_price, ..QuoteRequest::default() })
}

/// Every round's latest quote per vendor in campaign `id`, with the day of its call and every
/// field collected on it.
pub(crate) fn campaign_quotes(store: &Store, id: i64) -> Result<Vec<RoundQuote>, EngineError> {
    let mut quotes = Vec::new();
    for (round, vendor, offer) in store.campaign_offers(id)? {
        let quoted_on = store.call(offer.call_id)?.map(|call| local_date(call.created_at).to_string());
        let fields: BTreeMap<String, String> = store.collected_fields(offer.call_id)?.into_iter().collect();
        quotes.push(RoundQuote { vendor, round, offer, quoted_on, fields });
    }
    Ok(quotes)
}
