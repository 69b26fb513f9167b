//! The campaign runner: one task per running campaign. Each step re-reads the campaign from the
//! store, settles the targets whose calls ended, starts calls up to the concurrency limit (none
//! while the [`crate::AudioBrake`] holds) from the round's due targets, and advances the round
//! (a compare-and-swap in the store) when every target is settled; of the round, a step reads
//! only what it settles and about what it may start ([`super::claim_queue`]). Targets are reserved under this engine's lease,
//! renewed while the runner lives; a target another live owner holds is left to it. A canceled
//! campaign's runner winds down: it ends the calls on the line when the cancel asked to, and
//! settles each target with its call's real end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use switchboard_core::{
    AgentId, CallState, ContactId, RoundQuote, UnixMillis, Variables, money, next_opening, plan_negotiation,
    summarize_quotes, zone_of,
};
use switchboard_store::{CampaignRow, EndedTarget, Reservation, Store, StoreError, TargetRow};
use tokio::sync::broadcast::error::TryRecvError;

use super::claim_queue::{ClaimQueue, claim_start};
use super::drivers::{outcome_counts, target_outcome};
use super::launch_check::skip_reason;
use super::outcome::CampaignResult;
use super::quote_basis::{campaign_quotes, campaign_request, quote_basis};
use super::spec::{CampaignKind, CampaignSpec};
use crate::blocking;
use crate::costs::{average_call, budget_allows, cost_settings, max_price, priced_as};
use crate::settings::default_region;
use crate::{CallPlan, Engine, EngineError, EngineEvent, now};

/// How long the runner waits for a call to end before looking again anyway.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// How often a campaign paused by failing store writes tries a write again.
const WRITES_CHECK: Duration = Duration::from_secs(1);

/// Steps failing in a row (for a reason other than a passing write failure) before the
/// campaign stops in the `error` state with the reason.
const FAILED_STEPS_BEFORE_ERROR: u32 = 3;

/// What the runner does next.
enum Next {
    Finished,
    Wait(Duration),
}

/// What a runner keeps between steps.
struct Runner {
    /// When it last renewed its engine's leases.
    renewed_at: tokio::time::Instant,
    /// Whether it has asked for the calls of its canceled campaign to be ended.
    ended_calls: bool,
    /// Where it starts claiming in a round ([`claim_start`]), once read: the round and the contact.
    claim_start: Option<(u8, Option<ContactId>)>,
}

impl Runner {
    /// Where this runner starts claiming in round `round` of campaign `id` (read once a round:
    /// a round's targets are all added with it).
    async fn claim_start(
        &mut self,
        engine: &Arc<Engine>,
        id: i64,
        round: u8,
    ) -> Result<Option<ContactId>, EngineError> {
        match self.claim_start {
            Some((read, start)) if read == round => Ok(start),
            _ => {
                let start = claim_start(engine, id, round).await?;
                self.claim_start = Some((round, start));
                Ok(start)
            }
        }
    }
}

/// Starts the runner of campaign `id` on the current Tokio runtime, unless this engine runs one
/// already; returns whether it started one.
pub fn spawn_runner(engine: Arc<Engine>, id: i64) -> bool {
    let Some(running) = engine.runner_running(id) else { return false };
    tokio::spawn(async move {
        let _running = running;
        let mut events = engine.bus().subscribe();
        let mut runner = Runner { renewed_at: tokio::time::Instant::now(), ended_calls: false, claim_start: None };
        let mut failed_steps = 0;
        loop {
            if runner.renewed_at.elapsed() >= engine.lease_ttl() / 3 {
                let held = Arc::clone(&engine);
                match blocking(move || held.store().renew_target_leases(&held.lease())).await {
                    Ok(_) => runner.renewed_at = tokio::time::Instant::now(),
                    Err(err) => tracing::warn!(campaign = id, error = %err, "could not renew the leases on targets"),
                }
            }
            let wait = match step(&engine, id, &mut runner).await {
                Ok(Next::Finished) | Err(EngineError::ShuttingDown) => break,
                // Another node declared this one dead and took its work.
                Err(EngineError::Store(StoreError::Fenced(node))) => {
                    tracing::error!(campaign = id, node, "this node was fenced; its runner stops");
                    break;
                }
                Ok(Next::Wait(wait)) => {
                    failed_steps = 0;
                    wait
                }
                // Paused until writes work again (the engine said why, naming the database).
                Err(err) if engine.store_writes().note_error(&err) => WRITES_CHECK,
                Err(err) => {
                    failed_steps += 1;
                    if failed_steps >= FAILED_STEPS_BEFORE_ERROR {
                        stop_with_error(&engine, id, &err).await;
                        break;
                    }
                    tracing::warn!(campaign = id, error = %err, "campaign step failed; trying again");
                    Duration::from_secs(1)
                }
            };
            // Wake early when any call ends; the next step finds out whether it was ours.
            let _ = tokio::time::timeout(wait, async {
                loop {
                    match events.recv().await {
                        Ok(event) if matches!(&*event, EngineEvent::CallUpdated { call } if call.state.is_terminal()) => break,
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            })
            .await;
            // One step covers every call that ended meanwhile (on a shared database, every
            // node's calls: each would wake it again).
            while !matches!(events.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
        }
        tracing::info!(campaign = id, "campaign runner finished");
    });
    true
}

/// Stops campaign `id` in the `error` state with why it cannot go on, and says so.
async fn stop_with_error(engine: &Arc<Engine>, id: i64, err: &EngineError) {
    let reason = err.to_string();
    tracing::error!(campaign = id, error = %reason, "the campaign cannot go on; stopped in error");
    let stored = reason.clone();
    match engine.store_writes().write(move |store| store.fail_campaign(id, &stored)).await {
        Ok(Some(round)) => {
            engine.bus().publish(EngineEvent::CampaignUpdated { campaign_id: id, status: "error".into(), round });
        }
        Ok(None) => {}
        Err(err) => tracing::error!(campaign = id, error = %err, "could not record why the campaign stopped"),
    }
}

async fn step(engine: &Arc<Engine>, id: i64, runner: &mut Runner) -> Result<Next, EngineError> {
    if engine.stopping() {
        return Err(EngineError::ShuttingDown);
    }
    // While store writes fail, start nothing: try one write, and wait when it fails too.
    if engine.store_writes().failing().is_some() {
        let store = Arc::clone(engine.store());
        blocking(move || store.probe_write(now())).await?;
        engine.store_writes().note_success();
    }
    let store = Arc::clone(engine.store());
    let Some(campaign) = blocking(move || store.campaign(id)).await? else { return Ok(Next::Finished) };
    // A paused campaign still settles the calls that end; it starts none.
    let paused = match campaign.status.as_str() {
        "running" => false,
        "paused" => true,
        "canceled" => return wind_down(engine, &campaign, runner).await,
        _ => return Ok(Next::Finished),
    };
    let mut spec: CampaignSpec = serde_json::from_str(&campaign.spec).map_err(|err| {
        EngineError::Store(switchboard_store::StoreError::Corrupt(format!("campaign {id} spec: {err}")))
    })?;
    // A quote campaign launched before campaigns carried a request asks for what it asked then.
    if spec.kind == CampaignKind::VendorQuote && spec.request.is_none() {
        let (store, held) = (Arc::clone(engine.store()), spec.clone());
        spec.request = Some(blocking(move || campaign_request(&store, id, &held)).await?);
    }
    let round = campaign.round;

    // Settle targets whose call has ended (another live process settles those it placed).
    for EndedTarget { target, call } in ended_on_the_line(engine, &campaign).await? {
        let (state, reason, quoted) = match call {
            Some(call) => (call.state, call.reason, call.quoted),
            None => (CallState::Failed, Some("the app stopped before the call was placed".to_owned()), false),
        };
        settle(engine, &spec, &target, state, reason, quoted).await?;
        publish_progress(engine, &campaign);
    }
    if paused {
        return Ok(Next::Wait(Duration::from_secs(1)));
    }

    // Start calls up to the concurrency limit, unless the agents' audio fell behind lately. The
    // calls any process placed count toward the campaign's limit and budget here all the same.
    let mut in_flight = on_the_line(engine, &campaign).await?;
    let at_once = spec.concurrency.max(1);
    let clock = now();
    let braked = engine.audio_brake().holding(clock);
    let agent_id = if round == 1 { Some(spec.agent_id) } else { spec.negotiation_agent_id };
    // What the budget gate weighs, read when a call is about to start.
    let mut budget: Option<BudgetBasis> = None;
    let mut due = ClaimQueue::new(id, round, runner.claim_start(engine, id, round).await?);
    while in_flight < at_once && braked.is_none() && engine.store_writes().failing().is_none() && !engine.stopping() {
        let Some(target) = due.next(engine, clock, at_once - in_flight).await? else { break };
        let Some(agent_id) = agent_id else {
            finish_target(engine, &target, "skipped", "no negotiation agent was chosen").await?;
            continue;
        };
        match target_check(engine, &spec, agent_id, &target).await? {
            TargetCheck::Call => {}
            TargetCheck::Opens(at, note) => {
                let (store, t) = (Arc::clone(engine.store()), target.clone());
                blocking(move || store.target_retry(&t, at, &note)).await?;
                continue;
            }
            TargetCheck::Skip(reason) => {
                finish_target(engine, &target, "skipped", &reason).await?;
                continue;
            }
        }
        if let (Some(budget_usd), None) = (campaign.budget_usd, &budget) {
            budget = Some(budget_basis(engine, id, round, agent_id, budget_usd).await?);
        }
        if let Some(budget) = &budget
            && !budget_allows(budget.budget_usd, budget.spent_usd, in_flight, budget.per_call_usd)
        {
            pause_for_budget(engine, &campaign, budget, in_flight).await?;
            return Ok(Next::Wait(Duration::from_secs(1)));
        }
        let Some(slot) = engine.campaign_call_slot() else { break };
        let (held, contact) = (Arc::clone(engine), target.contact_id);
        let claimed = blocking(move || held.store().target_reserve(id, round, contact, &held.lease(), at_once)).await?;
        let attempt = match claimed {
            Reservation::Claimed(attempt) => attempt,
            // Taken meanwhile (by a cancel, or by another process whose lease holds), or writes
            // began to fail since the check above.
            Reservation::Taken => continue,
            // Other nodes placed calls of this campaign since the calls on the line were counted.
            Reservation::Full => break,
        };
        // A write that worked: writes that failed (a lock this one waited out) work again.
        engine.store_writes().note_success();
        switchboard_store::failpoint!("campaign-target-reserved");
        let reserved = TargetRow { attempts: attempt, status: "calling".into(), ..target.clone() };
        // The campaign's request, then what the round adds (the negotiation's context).
        let mut extra: Variables = spec.request.as_ref().map(|r| r.variables()).unwrap_or_default();
        extra.extend(target.variables.clone());
        let plan = CallPlan {
            contact_id: target.contact_id,
            agent_id,
            extra,
            campaign: Some((id, round, attempt)),
            slot: Some(slot),
        };
        match engine.place_call(plan).await {
            // The call's row names its target from the start (`Store::insert_call`).
            Ok(_) => {
                switchboard_store::failpoint!("campaign-call-placed");
                in_flight += 1;
            }
            // The failed call was stored; it counts as an attempt.
            Err(EngineError::Backend(err)) => {
                settle(engine, &spec, &reserved, CallState::Failed, Some(err.to_string()), false).await?
            }
            Err(err @ (EngineError::Store(_) | EngineError::ShuttingDown)) => return Err(err),
            Err(refusal) => finish_target(engine, &reserved, "skipped", &refusal.to_string()).await?,
        }
    }

    // Advance when every target of the round is settled (none is while calls are on the line).
    let store = Arc::clone(engine.store());
    if in_flight == 0 && blocking(move || store.round_settled(id, round)).await? {
        advance(engine, id, &spec, round).await?;
        return Ok(Next::Wait(Duration::ZERO));
    }
    // Look again when the next retry is due, if a call could start then.
    if in_flight >= at_once {
        return Ok(Next::Wait(IDLE_CHECK));
    }
    let store = Arc::clone(engine.store());
    let next_retry = blocking(move || store.next_retry(id, round, clock)).await?;
    let wait =
        next_retry.map_or(IDLE_CHECK, |at| Duration::from_millis((at.0 - now().0).max(0) as u64).min(IDLE_CHECK));
    Ok(Next::Wait(wait))
}

/// The targets of `campaign`'s round on the line whose call ended or was never placed, but
/// those another live process leases (it settles them).
async fn ended_on_the_line(engine: &Arc<Engine>, campaign: &CampaignRow) -> Result<Vec<EndedTarget>, EngineError> {
    let (store, id, round) = (Arc::clone(engine.store()), campaign.id, campaign.round);
    let owner = engine.lease().owner.to_owned();
    blocking(move || store.ended_on_the_line(id, round, &owner, now())).await
}

/// How many of `campaign`'s round's targets are on the line, whoever placed them.
async fn on_the_line(engine: &Arc<Engine>, campaign: &CampaignRow) -> Result<u32, EngineError> {
    let (store, id, round) = (Arc::clone(engine.store()), campaign.id, campaign.round);
    blocking(move || store.on_the_line(id, round)).await
}

/// What the budget gate weighs: the budget, what was spent, and what a call is projected to
/// cost (the round's average, else the campaign's, else the most its agent's call can cost).
struct BudgetBasis {
    budget_usd: f64,
    spent_usd: f64,
    per_call_usd: f64,
}

async fn budget_basis(
    engine: &Arc<Engine>,
    id: i64,
    round: u8,
    agent_id: AgentId,
    budget_usd: f64,
) -> Result<BudgetBasis, EngineError> {
    let store = Arc::clone(engine.store());
    let (spending, agent, settings) = blocking(move || {
        Ok::<_, EngineError>((store.campaign_spending(id)?, store.agent(agent_id)?, cost_settings(&store)?))
    })
    .await?;
    let spent_usd = spending.iter().map(|spent| spent.spent_usd).sum();
    let per_call_usd = average_call(&spending, round).unwrap_or_else(|| {
        agent.map_or(0.0, |agent| {
            let backend = priced_as(engine.call_backend(agent.config.backend), agent.config.backend);
            max_price(&agent.config, backend, &settings.rates).total_usd
        })
    });
    Ok(BudgetBasis { budget_usd, spent_usd, per_call_usd })
}

/// Pauses the campaign ("budget reached") and says so; the calls on the line finish.
async fn pause_for_budget(
    engine: &Arc<Engine>,
    campaign: &CampaignRow,
    budget: &BudgetBasis,
    in_flight: u32,
) -> Result<(), EngineError> {
    let id = campaign.id;
    if blocking({
        let store = Arc::clone(engine.store());
        move || store.pause_campaign_for_budget(id)
    })
    .await?
    {
        tracing::info!(
            campaign = id,
            budget = budget.budget_usd,
            spent = budget.spent_usd,
            in_flight,
            per_call = budget.per_call_usd,
            "budget reached: no new call starts"
        );
        engine.bus().publish(EngineEvent::CampaignUpdated {
            campaign_id: id,
            status: "paused".into(),
            round: campaign.round,
        });
    }
    Ok(())
}

/// A canceled campaign's step: ends its calls on the line once when the cancel asked to, then
/// settles each target on the line with its call's real end (a call the dispatcher ended says
/// so, and its target says canceled). Finished when none is left on the line.
async fn wind_down(engine: &Arc<Engine>, campaign: &CampaignRow, runner: &mut Runner) -> Result<Next, EngineError> {
    if campaign.end_calls && !runner.ended_calls {
        runner.ended_calls = true;
        for left in engine.end_campaign_calls(campaign.id, true).await?.left {
            tracing::info!(campaign = campaign.id, call = %left.call_id, reason = left.reason, "left to finish");
        }
    }
    for EndedTarget { target, call } in ended_on_the_line(engine, campaign).await? {
        match call {
            Some(call) => {
                let status = if call.state == CallState::Canceled { "canceled" } else { "done" };
                let outcome = call.reason.unwrap_or_else(|| call.state.as_str().to_owned());
                finish_target(engine, &target, status, &outcome).await?;
            }
            None => finish_target(engine, &target, "canceled", "canceled before the call was placed").await?,
        }
        publish_progress(engine, campaign);
    }
    Ok(if on_the_line(engine, campaign).await? == 0 { Next::Finished } else { Next::Wait(IDLE_CHECK) })
}

/// Whether a target may be called now: not when the builder's check skips it (in the words
/// the builder showed), nor outside its agent's calling window in its time zone.
enum TargetCheck {
    Call,
    /// The window is closed: it opens at this time (the note says so in the callee's local time).
    Opens(UnixMillis, String),
    /// The contact cannot be called, or the agent's window cannot be used.
    Skip(String),
}

async fn target_check(
    engine: &Arc<Engine>,
    spec: &CampaignSpec,
    agent_id: AgentId,
    target: &TargetRow,
) -> Result<TargetCheck, EngineError> {
    let (store, contact_id) = (Arc::clone(engine.store()), target.contact_id);
    let (agent, contact, region) = blocking(move || {
        Ok::<_, EngineError>((store.agent(agent_id)?, store.contact(contact_id)?, default_region(&store)?))
    })
    .await?;
    // A contact or agent deleted since launch is refused by the dispatcher, which says so.
    let (Some(agent), Some(contact)) = (agent, contact) else { return Ok(TargetCheck::Call) };
    let skip = skip_reason(&contact, &agent, spec.kind.contact_kind(), &region, spec.request.as_ref());
    if let Some(reason) = skip {
        return Ok(TargetCheck::Skip(reason));
    }
    if spec.ignore_calling_windows {
        return Ok(TargetCheck::Call);
    }
    let zone = match zone_of(contact.fields.time_zone.as_deref(), &TimeZone::system()) {
        Ok(zone) => zone,
        Err(err) => return Ok(TargetCheck::Skip(err.to_string())),
    };
    Ok(match next_opening(&agent.config.calling_window, &zone, now()) {
        Ok(None) => TargetCheck::Call,
        Ok(Some(at)) => {
            let local = jiff::Timestamp::from_millisecond(at.0)
                .map(|t| t.to_zoned(zone.clone()).strftime("%a %H:%M %Z").to_string())
                .unwrap_or_default();
            TargetCheck::Opens(at, format!("outside the calling window; scheduled for {local}"))
        }
        Err(err) => TargetCheck::Skip(err.to_string()),
    })
}

/// Records how a target's call ended: retried while attempts remain for calls that did not
/// connect (and yielded no quote: one offer per vendor and round), otherwise done with its outcome.
async fn settle(
    engine: &Arc<Engine>,
    spec: &CampaignSpec,
    target: &TargetRow,
    state: CallState,
    reason: Option<String>,
    quoted: bool,
) -> Result<(), EngineError> {
    let retryable = !quoted
        && matches!(
            state,
            CallState::NoAnswer | CallState::Busy | CallState::Voicemail | CallState::Failed | CallState::Lost
        );
    let what = reason.unwrap_or_else(|| state.as_str().to_owned());
    if retryable && target.attempts < spec.max_attempts {
        let at = UnixMillis(now().0 + i64::from(spec.retry_spacing_ms));
        let note = format!("{what} (attempt {} of {}); retrying", target.attempts, spec.max_attempts);
        let (store, t) = (Arc::clone(engine.store()), target.clone());
        blocking(move || store.target_retry(&t, at, &note)).await?;
        return Ok(());
    }
    let outcome =
        if retryable && target.attempts > 1 { format!("{what} after {} attempts", target.attempts) } else { what };
    finish_target(engine, target, "done", &outcome).await
}

/// Tells the window a target of `campaign` changed after its call's end was published: the
/// window re-reads the campaign on each call's end, which can come before the target is written.
fn publish_progress(engine: &Arc<Engine>, campaign: &CampaignRow) {
    engine.bus().publish(EngineEvent::CampaignUpdated {
        campaign_id: campaign.id,
        status: campaign.status.clone(),
        round: campaign.round,
    });
}

async fn finish_target(
    engine: &Arc<Engine>,
    target: &TargetRow,
    status: &'static str,
    outcome: &str,
) -> Result<(), EngineError> {
    let (store, t, outcome) = (Arc::clone(engine.store()), target.clone(), outcome.to_owned());
    blocking(move || store.target_finished(&t, status, &outcome)).await?;
    Ok(())
}

/// Moves the campaign on from `round`: to a negotiation round, or to its summary. Both are
/// compare-and-swaps in the store, so however many steps race here, one wins.
async fn advance(engine: &Arc<Engine>, id: i64, spec: &CampaignSpec, round: u8) -> Result<(), EngineError> {
    let store = Arc::clone(engine.store());
    let spec = spec.clone();
    let (advanced, status, new_round) = blocking(move || {
        let quotes = campaign_quotes(&store, id)?;
        if spec.kind == CampaignKind::VendorQuote && round == 1 && spec.negotiation_agent_id.is_some() {
            let round_one: Vec<RoundQuote> = quotes.iter().filter(|q| q.round == 1).cloned().collect();
            let basis = quote_basis(&store, id, &spec)?;
            if let Some(plan) = plan_negotiation(&round_one, &basis.decision()) {
                // The negotiation presses toward the target, or the best landed cost without one.
                let target = money(basis.request.target_price.unwrap_or(plan.best_landed));
                let targets: Vec<_> = plan
                    .targets
                    .iter()
                    .map(|t| {
                        let vars = BTreeMap::from([
                            ("their_price".to_owned(), money(t.their_price)),
                            ("their_landed".to_owned(), money(t.their_landed)),
                            ("best_price".to_owned(), money(plan.best_price)),
                            ("best_landed".to_owned(), money(plan.best_landed)),
                            ("best_vendor".to_owned(), plan.best_vendor.clone()),
                            ("target_price".to_owned(), target.clone()),
                        ]);
                        (t.contact_id, vars)
                    })
                    .collect();
                let won = store.advance_round(id, 1, 2, &targets)?;
                return Ok::<_, EngineError>((won, "running", 2));
            }
        }
        let result = result(&store, id, &spec, quotes)?;
        let json =
            serde_json::to_string(&result).map_err(|err| switchboard_store::StoreError::Corrupt(err.to_string()))?;
        switchboard_store::failpoint!("campaign-complete-before-commit");
        Ok((store.complete_campaign(id, round, &json, now())?, "completed", round))
    })
    .await?;
    switchboard_store::failpoint!("campaign-advance-after-commit");
    if advanced {
        tracing::info!(campaign = id, status, round = new_round, "campaign advanced");
        engine.bus().publish(EngineEvent::CampaignUpdated {
            campaign_id: id,
            status: status.to_owned(),
            round: new_round,
        });
    }
    Ok(())
}

/// What campaign `id` came to, from the store now (its quotes weighed on `spec`'s request).
pub(super) fn result(
    store: &Store,
    id: i64,
    spec: &CampaignSpec,
    quotes: Vec<RoundQuote>,
) -> Result<CampaignResult, EngineError> {
    let round_one = store.campaign_targets(id, 1)?;
    let contacts = store.list_contacts()?;
    let name = |t: &TargetRow| {
        contacts.iter().find(|c| c.id == t.contact_id).map_or_else(String::new, |c| c.fields.name.clone())
    };
    match spec.kind {
        CampaignKind::VendorQuote => {
            let called = round_one.iter().filter(|t| t.call_id.is_some()).count() as u32;
            let basis = quote_basis(store, id, spec)?;
            let unanswered: Vec<String> = round_one
                .iter()
                .filter(|t| !quotes.iter().any(|q| q.offer.contact_id == t.contact_id && q.offer.unit_price.is_some()))
                .map(name)
                .collect();
            let summary = summarize_quotes(&quotes, called, &basis.decision(), &unanswered);
            Ok(CampaignResult::Quotes(Box::new(summary)))
        }
        CampaignKind::DriverViolation => {
            let outcomes =
                round_one.iter().map(|t| target_outcome(store, t, name(t))).collect::<Result<Vec<_>, _>>()?;
            let counts = outcome_counts(&outcomes);
            Ok(CampaignResult::Drivers { outcomes, counts })
        }
    }
}
