//! The dispatcher's freight estimate for one vendor's ex-works / FOB-origin quote, entered once
//! a quote campaign is done: kept in the campaign's request, and the quotes ranked again.

use std::sync::Arc;

use switchboard_core::ContactId;
use switchboard_store::StoreError;

use super::quote_basis::{campaign_quotes, campaign_request};
use super::runner::result;
use super::spec::{CampaignKind, CampaignSpec};
use crate::{Engine, EngineError, EngineEvent, blocking};

/// Sets (or, with `None`, removes) the freight estimate for `vendor`'s shipment in completed
/// quote campaign `id`, then ranks its quotes again; spec and summary are written together.
pub async fn estimate_freight(
    engine: &Arc<Engine>,
    id: i64,
    vendor: ContactId,
    amount: Option<f64>,
) -> Result<(), EngineError> {
    let store = Arc::clone(engine.store());
    let round = blocking(move || {
        let campaign = store.campaign(id)?.ok_or_else(|| EngineError::InvalidRequest(format!("no campaign {id}")))?;
        let mut spec: CampaignSpec = serde_json::from_str(&campaign.spec)
            .map_err(|err| StoreError::Corrupt(format!("campaign {id} spec: {err}")))?;
        if spec.kind != CampaignKind::VendorQuote || campaign.status != "completed" {
            return Err(EngineError::InvalidRequest(format!(
                "{} is not a finished quote campaign: freight is estimated once its quotes are in",
                campaign.name
            )));
        }
        let mut request = campaign_request(&store, id, &spec)?;
        request.set_vendor_freight(vendor, amount);
        spec.request = Some(request);
        let summary = result(&store, id, &spec, campaign_quotes(&store, id)?)?;
        let json = |value: serde_json::Result<String>| value.map_err(|err| StoreError::Corrupt(err.to_string()));
        let (spec_json, summary_json) = (json(serde_json::to_string(&spec))?, json(serde_json::to_string(&summary))?);
        if !store.revise_completed_campaign(id, &spec_json, &summary_json)? {
            return Err(EngineError::InvalidRequest(format!("{} changed meanwhile; try again", campaign.name)));
        }
        Ok::<_, EngineError>(campaign.round)
    })
    .await?;
    engine.bus().publish(EngineEvent::CampaignUpdated { campaign_id: id, status: "completed".into(), round });
    Ok(())
}
