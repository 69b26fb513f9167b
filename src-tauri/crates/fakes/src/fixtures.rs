//! Generated contacts for load tests, benchmarks and demos: any number of distinct, valid
//! vendors, ready to write in one batch; and the quote campaign tests run over them.

use switchboard_core::{AgentId, ContactDetails, ContactFields, ContactId, Phone, QuoteRequest, VendorDetails};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_store::ContactWrite;

/// `count` vendors with distinct valid US numbers in `area_code` (up to 8,000 per area code).
pub fn vendor_writes(count: usize, area_code: u16) -> Vec<ContactWrite> {
    (0..count)
        .map(|i| {
            let phone = format!("+1{area_code}555{:04}", 2000 + i % 8000);
            let fields = ContactFields {
                name: format!("Vendor {area_code}-{i:04}"),
                phone: phone.clone(),
                tags: vec![],
                time_zone: None,
                do_not_call: false,
                custom: Default::default(),
                details: ContactDetails::Vendor(VendorDetails::default()),
            };
            ContactWrite::Insert { fields, phone: Some(Phone::plain(phone)) }
        })
        .collect()
}

/// A two-round-capable vendor quote campaign over `contacts` asking for [`bolts_request`], one
/// attempt each, at any hour.
pub fn quote_campaign(
    name: &str,
    agent_id: AgentId,
    negotiation_agent_id: Option<AgentId>,
    contacts: Vec<ContactId>,
    concurrency: u32,
) -> CampaignSpec {
    CampaignSpec {
        name: name.to_owned(),
        kind: CampaignKind::VendorQuote,
        agent_id,
        negotiation_agent_id,
        contacts,
        concurrency,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(bolts_request(1_000)),
    }
}

/// A request for `quantity` M8 bolts at a $0.42 target.
pub fn bolts_request(quantity: u32) -> QuoteRequest {
    QuoteRequest { item: "M8 bolts".into(), quantity, target_price: Some(0.42), ..QuoteRequest::default() }
}
