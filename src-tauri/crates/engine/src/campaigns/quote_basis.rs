//! What a vendor-quote campaign's quotes are weighed on: its request (or, for a campaign
//! launched before requests were kept, its vendors' own item), the yearly rate for payment
//! terms from Settings, today's date, and each round's quotes with the day they were given and
//! every field collected.

use std::collections::BTreeMap;

use jiff::civil::Date;
use switchboard_core::{Contact, ContactDetails, QuoteRequest, RoundQuote};
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

/// The basis of `spec`'s quotes, read now.
pub(crate) fn quote_basis(store: &Store, spec: &CampaignSpec, contacts: &[Contact]) -> Result<QuoteBasis, EngineError> {
    let request = spec.request.clone().unwrap_or_else(|| vendors_request(spec, contacts));
    let annual_rate = payment_terms_rate(store)? / 100.0;
    Ok(QuoteBasis { request, annual_rate, today: local_date(now()) })
}

/// A request made of the first vendor's own item, quantity and target, for a campaign
/// launched before campaigns carried one.
fn vendors_request(spec: &CampaignSpec, contacts: &[Contact]) -> QuoteRequest {
    contacts
        .iter()
        .filter(|c| spec.contacts.contains(&c.id))
        .find_map(|c| match &c.fields.details {
            ContactDetails::Vendor(v) if v.quantity > 0 => Some(QuoteRequest {
                item: v.item.clone(),
                quantity: v.quantity,
                target_price: v.target_price,
                ..QuoteRequest::default()
            }),
            _ => None,
        })
        .unwrap_or_default()
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
