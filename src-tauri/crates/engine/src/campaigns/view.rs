//! What the console shows of a campaign: its state, progress per round, targets and result.

use serde::Serialize;
use switchboard_core::{CallId, ContactId, UnixMillis};
use switchboard_store::{CampaignRow, Store, TargetRow};

use super::drivers::{outcome_counts, with_resolutions};
use super::outcome::CampaignResult;
use super::spec::CampaignSpec;
use crate::EngineError;
use crate::costs::{CampaignCost, campaign_cost};

/// Progress of one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoundProgress {
    pub round: u8,
    pub total: u32,
    pub done: u32,
    pub skipped: u32,
    /// Targets whose campaign was canceled before they were called, or whose call the
    /// dispatcher ended.
    pub canceled: u32,
    pub calling: u32,
    pub pending: u32,
    /// Pending targets waiting for a time (their calling window, or a retry).
    pub scheduled: u32,
}

/// One contact of one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub round: u8,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub status: String,
    pub attempts: u32,
    pub call_id: Option<CallId>,
    pub outcome: Option<String>,
    /// For a pending target: when it may be called next.
    pub next_attempt_at: Option<UnixMillis>,
}

/// A campaign as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CampaignView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub name: String,
    pub spec: CampaignSpec,
    /// running, paused, completed, canceled or error.
    pub status: String,
    /// Why the campaign stopped, when its status is error, or why it paused itself ("budget
    /// reached").
    pub status_reason: Option<String>,
    pub round: u8,
    pub created_at: UnixMillis,
    pub ended_at: Option<UnixMillis>,
    pub rounds: Vec<RoundProgress>,
    pub targets: Vec<TargetView>,
    pub result: Option<CampaignResult>,
    /// What it spent, what the rest should cost, and its budget.
    pub cost: CampaignCost,
}

/// Reads a campaign's view from the store.
pub fn campaign_view(store: &Store, row: CampaignRow) -> Result<CampaignView, EngineError> {
    let corrupt = |what: &str, err: serde_json::Error| {
        EngineError::Store(switchboard_store::StoreError::Corrupt(format!("campaign {} {what}: {err}", row.id)))
    };
    let spec: CampaignSpec = serde_json::from_str(&row.spec).map_err(|err| corrupt("spec", err))?;
    let mut result: Option<CampaignResult> =
        row.summary.as_deref().map(serde_json::from_str).transpose().map_err(|err| corrupt("summary", err))?;
    if let Some(CampaignResult::Drivers { outcomes, counts }) = &mut result {
        with_resolutions(store, row.id, outcomes)?;
        *counts = outcome_counts(outcomes);
    }
    let contacts = store.list_contacts()?;
    let mut rounds = Vec::new();
    let mut targets = Vec::new();
    let round_targets = (1..=row.round)
        .map(|round| Ok((round, store.campaign_targets(row.id, round)?)))
        .collect::<Result<Vec<_>, EngineError>>()?;
    let by_round: Vec<(u8, &[TargetRow])> =
        round_targets.iter().map(|(round, rows)| (*round, rows.as_slice())).collect();
    let cost = campaign_cost(&store.campaign_spending(row.id)?, &by_round, row.budget_usd);
    for (round, rows) in round_targets {
        let count = |status: &str| rows.iter().filter(|t| t.status == status).count() as u32;
        let clock = crate::now();
        let scheduled =
            rows.iter().filter(|t| t.status == "pending" && t.next_attempt_at.is_some_and(|at| at.0 > clock.0)).count();
        rounds.push(RoundProgress {
            round,
            total: rows.len() as u32,
            done: count("done"),
            skipped: count("skipped"),
            canceled: count("canceled"),
            calling: count("calling"),
            pending: count("pending"),
            scheduled: scheduled as u32,
        });
        targets.extend(rows.into_iter().map(|t| {
            TargetView {
                round,
                contact_name: contacts
                    .iter()
                    .find(|c| c.id == t.contact_id)
                    .map_or_else(|| format!("contact {}", t.contact_id), |c| c.fields.name.clone()),
                contact_id: t.contact_id,
                status: t.status,
                attempts: t.attempts,
                call_id: t.call_id,
                outcome: t.outcome,
                next_attempt_at: t.next_attempt_at,
            }
        }));
    }
    Ok(CampaignView {
        id: row.id,
        name: row.name,
        spec,
        status: row.status,
        status_reason: row.status_reason,
        round: row.round,
        created_at: row.created_at,
        ended_at: row.ended_at,
        rounds,
        targets,
        result,
        cost,
    })
}
