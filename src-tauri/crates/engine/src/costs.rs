//! What calls cost, as the engine applies it: the cost settings (rates and the per-call limit),
//! how each call is priced when it ends, the limit checked before a call is dialled, and what a
//! campaign spent, what the rest should cost, and whether its budget lets another call start.

use serde::Serialize;
use switchboard_core::{
    AgentConfig, BackendKind, CallPrice, CallSummary, CallUsage, CostRates, CostSettings, Pricing, PricingBasis,
    max_call_price,
};
use switchboard_store::{RoundSpending, Store, StoreError, TargetRow};

use crate::EngineError;

/// The setting holding the rates (JSON of [`CostRates`]; a rate missing takes its default).
pub const COST_RATES: &str = "cost_rates";
/// The setting holding the per-call limit in dollars (empty: none).
pub const PER_CALL_LIMIT: &str = "per_call_limit_usd";

/// The cost settings: those saved, else the providers' list prices and no limit.
pub fn cost_settings(store: &Store) -> Result<CostSettings, StoreError> {
    let rates = match store.setting(COST_RATES)? {
        Some(json) => {
            serde_json::from_str(&json).map_err(|err| StoreError::Corrupt(format!("setting {COST_RATES}: {err}")))?
        }
        None => CostRates::default(),
    };
    let per_call_limit_usd = store.setting(PER_CALL_LIMIT)?.and_then(|limit| limit.parse().ok());
    Ok(CostSettings { rates, per_call_limit_usd })
}

/// Saves the cost settings, all or nothing; every problem is reported together, nothing saved.
pub fn save_cost_settings(store: &Store, settings: &CostSettings) -> Result<(), SaveCostError> {
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(SaveCostError::Invalid(problems));
    }
    let rates = serde_json::to_string(&settings.rates).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let limit = settings.per_call_limit_usd.map(|limit| limit.to_string()).unwrap_or_default();
    store.set_settings(&[(COST_RATES, &rates), (PER_CALL_LIMIT, &limit)])?;
    Ok(())
}

/// Why the cost settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveCostError {
    #[error("the cost settings have problems")]
    Invalid(Vec<switchboard_core::FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The backend a call is priced as: the one it runs on, except a simulator call, priced as its
/// agent's own backend (the voice pipeline when the agent itself is on the simulator).
pub fn priced_as(call_backend: BackendKind, agent_backend: BackendKind) -> BackendKind {
    match (call_backend, agent_backend) {
        (BackendKind::Simulator, BackendKind::Simulator) => BackendKind::Pipeline,
        (BackendKind::Simulator, chosen) => chosen,
        (real, _) => real,
    }
}

/// How a call on `call_backend` is priced when it ends: simulator calls from their conversation
/// as if real on `priced_as`; the pipeline, gather and Ultravox calls from what they used; calls
/// whose provider reports a cost (ElevenLabs, Vapi) by its report instead (`None` here).
pub(crate) fn pricing(
    call_backend: BackendKind,
    priced_as: BackendKind,
    agent: &AgentConfig,
    rates: CostRates,
) -> Option<Pricing> {
    let basis = match call_backend {
        BackendKind::Simulator => PricingBasis::Simulated { priced_as, system_prompt_chars: prompt_chars(agent) },
        BackendKind::Pipeline | BackendKind::Gather | BackendKind::Ultravox => PricingBasis::Usage(call_backend),
        BackendKind::ElevenLabs | BackendKind::Vapi => return None,
    };
    Some(Pricing { basis, usage: CallUsage::default(), rates })
}

/// How a call placed earlier is priced when it ends, read from the store: a call whose task
/// starts again after a restart, or one a report ends with no task listening.
pub(crate) fn stored_pricing(store: &Store, call: &CallSummary) -> Result<Option<Pricing>, StoreError> {
    let Some(agent) = store.agent(call.agent_id)? else { return Ok(None) };
    let rates = cost_settings(store)?.rates;
    Ok(pricing(call.backend, priced_as(call.backend, agent.config.backend), &agent.config, rates))
}

fn prompt_chars(agent: &AgentConfig) -> u64 {
    agent.system_prompt.chars().count() as u64
}

/// The most a call of `agent` can cost on `backend`: its whole max duration at `rates`.
pub fn max_price(agent: &AgentConfig, backend: BackendKind, rates: &CostRates) -> CallPrice {
    max_call_price(backend, agent.max_duration_secs, prompt_chars(agent), rates)
}

/// Refuses a call whose most it can cost passes the per-call limit, saying what and why.
pub(crate) fn check_call_limit(
    settings: &CostSettings,
    agent: &AgentConfig,
    backend: BackendKind,
    contact: &str,
) -> Result<(), EngineError> {
    let Some(limit_usd) = settings.per_call_limit_usd else { return Ok(()) };
    let max_usd = max_price(agent, backend, &settings.rates).total_usd;
    if max_usd <= limit_usd {
        return Ok(());
    }
    Err(EngineError::OverCallLimit {
        contact: contact.to_owned(),
        agent: agent.name.clone(),
        backend,
        minutes: agent.max_duration_secs.div_ceil(60),
        max_usd,
        limit_usd,
    })
}

/// Gives campaign `id` the budget `budget_usd` and sets it running again (a campaign paused
/// because its budget was reached resumes). Refused, with why, when the budget is not a positive
/// amount above what the campaign spent, or the campaign has finished.
pub fn raise_budget(store: &Store, id: i64, budget_usd: f64) -> Result<(), EngineError> {
    if !(budget_usd.is_finite() && budget_usd > 0.0) {
        return Err(EngineError::InvalidRequest(format!("the budget must be an amount above $0, not {budget_usd}")));
    }
    let spent: f64 = store.campaign_spending(id)?.iter().map(|spent| spent.spent_usd).sum();
    if budget_usd <= spent {
        return Err(EngineError::InvalidRequest(format!(
            "a budget of ${budget_usd:.4} is not above the ${spent:.4} campaign {id} has spent: no call could start"
        )));
    }
    if !store.resume_campaign_with_budget(id, Some(budget_usd))? {
        return Err(EngineError::InvalidRequest(format!("campaign {id} has finished: its budget no longer matters")));
    }
    Ok(())
}

/// What one round of a campaign spent and should still cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoundCost {
    pub round: u8,
    pub spent_usd: f64,
    /// Calls priced so far.
    pub calls: u32,
    /// What a call of this round costs on average (its own calls', else the campaign's).
    pub average_usd: Option<f64>,
    /// Targets still to call or on the line.
    pub left: u32,
    /// What those should cost at the average; `None` while no call is priced.
    pub projected_usd: Option<f64>,
}

/// What a campaign spent, what the rest should cost, and its budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CampaignCost {
    pub spent_usd: f64,
    /// Calls priced so far.
    pub calls: u32,
    /// Some calls were priced at Settings' rates or as if real (simulator), not by a provider.
    pub estimate: bool,
    /// What the targets left should cost; `None` while no call is priced.
    pub projected_usd: Option<f64>,
    pub budget_usd: Option<f64>,
    pub rounds: Vec<RoundCost>,
}

/// What a campaign spent and should still cost, from its spending and each round's targets.
pub fn campaign_cost(
    spending: &[RoundSpending],
    rounds: &[(u8, &[TargetRow])],
    budget_usd: Option<f64>,
) -> CampaignCost {
    let rounds: Vec<RoundCost> = rounds
        .iter()
        .map(|(round, targets)| {
            let own = spending.iter().find(|spent| spent.round == *round);
            let left = targets.iter().filter(|t| t.status == "pending" || t.status == "calling").count() as u32;
            let average_usd = average_call(spending, *round);
            RoundCost {
                round: *round,
                spent_usd: own.map_or(0.0, |spent| spent.spent_usd),
                calls: own.map_or(0, |spent| spent.calls),
                average_usd,
                left,
                projected_usd: average_usd.map(|average| average * f64::from(left)),
            }
        })
        .collect();
    let projected_usd = rounds.iter().try_fold(0.0, |sum, round| match (round.left, round.projected_usd) {
        (0, _) => Some(sum),
        (_, projected) => projected.map(|projected| sum + projected),
    });
    CampaignCost {
        spent_usd: spending.iter().map(|spent| spent.spent_usd).sum(),
        calls: spending.iter().map(|spent| spent.calls).sum(),
        estimate: spending.iter().any(|spent| spent.estimate),
        projected_usd,
        budget_usd,
        rounds,
    }
}

/// What a call of `round` costs on average: the round's own priced calls, else all the
/// campaign's; `None` while none is priced.
pub fn average_call(spending: &[RoundSpending], round: u8) -> Option<f64> {
    let average = |spent: f64, calls: u32| (calls > 0).then(|| spent / f64::from(calls));
    spending.iter().find(|spent| spent.round == round).and_then(|spent| average(spent.spent_usd, spent.calls)).or_else(
        || average(spending.iter().map(|spent| spent.spent_usd).sum(), spending.iter().map(|spent| spent.calls).sum()),
    )
}

/// Whether another call may start under `budget_usd`: only while what was spent plus the calls
/// on the line, each at `per_call_usd`, stays below it.
pub fn budget_allows(budget_usd: f64, spent_usd: f64, in_flight: u32, per_call_usd: f64) -> bool {
    spent_usd + f64::from(in_flight) * per_call_usd < budget_usd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spent(round: u8, spent_usd: f64, calls: u32) -> RoundSpending {
        RoundSpending { round, spent_usd, calls, estimate: true }
    }

    fn target(status: &str) -> TargetRow {
        TargetRow {
            campaign_id: 1,
            round: 1,
            contact_id: switchboard_core::ContactId(1),
            status: status.into(),
            attempts: 0,
            next_attempt_at: None,
            call_id: None,
            outcome: None,
            variables: Default::default(),
            lease_owner: None,
            lease_expires_at: None,
        }
    }

    #[test]
    fn the_rest_is_projected_from_each_rounds_average_call() {
        // Round 1: 4 calls for $0.20 ($0.05 each), 2 pending and 1 on the line left: $0.15.
        // Round 2: 1 call for $0.12, 3 pending: $0.36. Total projected $0.51.
        let one = [target("done"), target("done"), target("pending"), target("pending"), target("calling")];
        let two = [target("done"), target("pending"), target("pending"), target("pending")];
        let spending = [spent(1, 0.2, 4), spent(2, 0.12, 1)];
        let cost = campaign_cost(&spending, &[(1, &one), (2, &two)], Some(1.0));
        assert!((cost.spent_usd - 0.32).abs() < 1e-9);
        assert_eq!(cost.calls, 5);
        assert!((cost.rounds[0].projected_usd.unwrap() - 0.15).abs() < 1e-9, "{cost:?}");
        assert!((cost.rounds[1].projected_usd.unwrap() - 0.36).abs() < 1e-9, "{cost:?}");
        assert!((cost.projected_usd.unwrap() - 0.51).abs() < 1e-9, "{cost:?}");
        assert!(cost.estimate);
    }

    #[test]
    fn a_round_with_no_call_yet_is_projected_at_the_campaigns_average() {
        // 3 calls for $0.30 in round 1; round 2 has 5 targets left and no call: 5 × $0.10.
        let two: Vec<TargetRow> = (0..5).map(|_| target("pending")).collect();
        let cost = campaign_cost(&[spent(1, 0.3, 3)], &[(1, &[]), (2, &two)], None);
        assert!((cost.projected_usd.unwrap() - 0.5).abs() < 1e-9, "{cost:?}");
        let nothing_yet = campaign_cost(&[], &[(1, &two)], None);
        assert_eq!(nothing_yet.projected_usd, None, "no call priced: nothing to project from");
        assert_eq!(nothing_yet.spent_usd, 0.0);
    }

    #[test]
    fn the_budget_stops_new_calls_once_spent_and_the_calls_on_the_line_reach_it() {
        // $1 budget, calls at $0.30: with $0.30 spent and 2 on the line, $0.90 < $1: one more.
        assert!(budget_allows(1.0, 0.3, 2, 0.3));
        // $0.60 spent and 1 on the line is $0.90: one more; with 2 on the line $1.20: no.
        assert!(budget_allows(1.0, 0.6, 1, 0.3));
        assert!(!budget_allows(1.0, 0.6, 2, 0.3));
        assert!(!budget_allows(1.0, 1.0, 0, 0.3), "spent reached the budget");
    }

    #[test]
    fn a_simulator_call_is_priced_as_its_agents_backend() {
        assert_eq!(priced_as(BackendKind::Simulator, BackendKind::Vapi), BackendKind::Vapi);
        assert_eq!(priced_as(BackendKind::Simulator, BackendKind::Simulator), BackendKind::Pipeline);
        assert_eq!(priced_as(BackendKind::Gather, BackendKind::Pipeline), BackendKind::Gather);
    }
}
