//! Canceling a campaign: every target not called yet says canceled at once; the calls on the
//! line are ended now (where their backend can end a call from the app) or left to finish, and
//! their targets then say how they ended (the runner winds the campaign down).

use std::sync::Arc;

use serde::Serialize;
use switchboard_core::{CallId, ContactId};

use crate::blocking;
use crate::{Engine, EngineError, EngineEvent, now};

/// A call of a canceled campaign still on the line, and why it was not ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallLeft {
    pub call_id: CallId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub reason: String,
}

/// What a cancel did with the calls on the line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CancelReport {
    /// Calls ended by the dispatcher.
    pub ended: Vec<CallId>,
    /// Calls left to finish: the dispatcher chose so, or their backend cannot end them here.
    pub left: Vec<CallLeft>,
}

/// Why a call is left to finish when the dispatcher chose to let the calls finish.
pub const LET_FINISH: &str = "left to finish, as asked";

impl Engine {
    /// Cancels campaign `id` (running or paused): its targets not called yet say canceled, and
    /// its calls on the line are ended now when `end_calls` (each through its backend; one that
    /// cannot is left to finish, with why) or left to finish. The campaign's runner settles
    /// those targets with their calls' real ends, whichever process runs it.
    pub async fn cancel_campaign(&self, id: i64, end_calls: bool) -> Result<CancelReport, EngineError> {
        let store = Arc::clone(self.store());
        let canceled = blocking(move || store.cancel_campaign(id, end_calls, now())).await?;
        let store = Arc::clone(self.store());
        let campaign = blocking(move || store.campaign(id)).await?;
        let campaign = match campaign {
            Some(campaign) if canceled => campaign,
            Some(campaign) => {
                let status = campaign.status;
                return Err(EngineError::InvalidRequest(format!("campaign {id} has already finished ({status})")));
            }
            None => return Err(EngineError::InvalidRequest(format!("no campaign {id}"))),
        };
        tracing::info!(campaign = id, end_calls, "campaign canceled");
        self.bus().publish(EngineEvent::CampaignUpdated {
            campaign_id: id,
            status: campaign.status,
            round: campaign.round,
        });
        self.end_campaign_calls(id, end_calls).await
    }

    /// The calls of campaign `id` on the line: ended through their backends when `end`, else
    /// all left to finish.
    pub(crate) async fn end_campaign_calls(&self, id: i64, end: bool) -> Result<CancelReport, EngineError> {
        let store = Arc::clone(self.store());
        let on_line = blocking(move || {
            let Some(campaign) = store.campaign(id)? else { return Ok(Vec::new()) };
            let mut on_line = Vec::new();
            for target in store.campaign_targets(id, campaign.round)?.into_iter().filter(|t| t.status == "calling") {
                let Some(call) = target.call_id.map(|call| store.call(call)).transpose()?.flatten() else { continue };
                if !call.state.is_terminal() {
                    let name = store.contact(target.contact_id)?.map(|c| c.fields.name).unwrap_or_default();
                    on_line.push((call, name));
                }
            }
            Ok::<_, EngineError>(on_line)
        })
        .await?;
        let mut report = CancelReport::default();
        for (call, contact_name) in on_line {
            let left =
                |reason: String| CallLeft { call_id: call.id, contact_id: call.contact_id, contact_name, reason };
            if !end {
                report.left.push(left(LET_FINISH.to_owned()));
                continue;
            }
            match self.hang_up(&call).await {
                Ok(_) => report.ended.push(call.id),
                Err(err) => report.left.push(left(err.to_string())),
            }
        }
        Ok(report)
    }
}
