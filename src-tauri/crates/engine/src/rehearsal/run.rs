//! Rehearsing an agent: its suite (the one saved for it, else its preset's), each scenario's
//! call prepared as a real call is (the same variables and rendered texts, no past calls), played
//! by the mode's `Rehearser`, judged, kept per agent version as each run ends, and its progress
//! published.

use std::sync::Arc;

use serde::Serialize;
use switchboard_core::{
    Agent, AgentId, Check, Contact, ContactId, FieldError, RehearsalEnding, RehearsalMode, RehearsalRun, Rehearsed,
    Scenario, ScenarioResult, Suite, UnixMillis, check_run, parse_phone,
};

use super::{RehearsalCall, RehearsalError, agent_version, shipped_suite, validate_suite};
use crate::engine::render_call;
use crate::{Engine, EngineError, EngineEvent, blocking, now};

/// What to rehearse.
#[derive(Debug, Clone)]
pub struct RehearsalPlan {
    pub agent_id: AgentId,
    pub mode: RehearsalMode,
    /// One scenario by name, or every one.
    pub scenario: Option<String>,
    /// Runs of each scenario (at least 1).
    pub runs: u32,
}

/// An agent's suite and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentSuite {
    pub suite: Suite,
    /// Saved for this agent in the window (else shipped with its preset).
    pub edited: bool,
}

/// An agent version's last results, scenario by scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RehearsalReport {
    pub agent_version: String,
    /// Per scenario of the suite, in its order: its latest rehearsal's runs (none if never rehearsed).
    pub results: Vec<ScenarioResult>,
    /// The agent's latest rehearsal when it was of another version: the agent changed since.
    pub earlier: Option<EarlierRehearsal>,
}

/// A rehearsal of an earlier version of the agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct EarlierRehearsal {
    pub agent_version: String,
    pub started_at: UnixMillis,
}

/// A rehearsal mode and whether it can rehearse an agent now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RehearsalModeStatus {
    pub mode: RehearsalMode,
    /// Why it cannot now (no key, a backend with no test API); `null` when it can.
    pub unavailable: Option<String>,
}

impl RehearsalReport {
    /// Whether every scenario of the suite was rehearsed and every run passed.
    pub fn passed(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(ScenarioResult::passed)
    }
}

impl Engine {
    /// The agent's suite: the one saved for it, else the one shipped with the preset of its name.
    pub async fn agent_suite(&self, agent_id: AgentId) -> Result<AgentSuite, EngineError> {
        let (agent, saved) = self.agent_and_suite(agent_id).await?;
        match saved {
            Some(suite) => Ok(AgentSuite { suite, edited: true }),
            None => shipped_suite(&agent.config.name)
                .map(|suite| AgentSuite { suite, edited: false })
                .ok_or_else(|| no_suite(&agent)),
        }
    }

    /// Saves `suite` as the agent's, after checking it whole (every problem with its path).
    pub async fn save_agent_suite(&self, agent_id: AgentId, suite: Suite) -> Result<(), EngineError> {
        let problems = validate_suite(&suite);
        if !problems.is_empty() {
            return Err(EngineError::InvalidSuite(problems));
        }
        let (agent, saved) = self.agent_and_suite(agent_id).await?;
        let before = saved.or_else(|| shipped_suite(&agent.config.name));
        let changed = changed_scenarios(before.as_ref(), &suite);
        let store = Arc::clone(self.store());
        blocking(move || Ok::<_, EngineError>(store.save_rehearsal_suite(agent_id, &suite, &changed, now())?)).await
    }

    /// Every registered rehearsal mode, in a stable order, and whether it can rehearse the agent now.
    pub async fn rehearsal_modes(&self, agent_id: AgentId) -> Result<Vec<RehearsalModeStatus>, EngineError> {
        let (agent, _) = self.agent_and_suite(agent_id).await?;
        let mut modes: Vec<RehearsalModeStatus> = self
            .rehearsers
            .values()
            .map(|rehearser| RehearsalModeStatus {
                mode: rehearser.mode(),
                unavailable: rehearser.available(&agent.config).err().map(|error| error.to_string()),
            })
            .collect();
        modes.sort_by_key(|status| status.mode as u8);
        Ok(modes)
    }

    /// The last results of the agent's current version, per scenario of its suite.
    pub async fn rehearsal_report(&self, agent_id: AgentId) -> Result<RehearsalReport, EngineError> {
        let suite = self.agent_suite(agent_id).await?.suite;
        let store = Arc::clone(self.store());
        let (version, stored, latest) = blocking(move || {
            let agent = store.agent(agent_id)?.ok_or(EngineError::AgentNotFound(agent_id))?;
            let version = agent_version(&agent.config);
            let results = store.last_rehearsal_results(agent_id, &version)?;
            Ok::<_, EngineError>((version, results, store.latest_rehearsal(agent_id)?))
        })
        .await?;
        let results = suite
            .scenarios
            .iter()
            .map(|scenario| {
                stored
                    .iter()
                    .find(|result| result.scenario == scenario.name)
                    .cloned()
                    .unwrap_or_else(|| ScenarioResult { scenario: scenario.name.clone(), runs: Vec::new() })
            })
            .collect();
        let earlier = latest
            .filter(|(latest, _)| *latest != version)
            .map(|(agent_version, started_at)| EarlierRehearsal { agent_version, started_at });
        Ok(RehearsalReport { agent_version: version, results, earlier })
    }

    /// Rehearses the agent: each chosen scenario `plan.runs` times in `plan.mode`, each run
    /// judged, kept and published (`RehearsalProgress`) as it ends. Returns the results.
    pub async fn rehearse(&self, plan: RehearsalPlan) -> Result<Vec<ScenarioResult>, EngineError> {
        let (agent, _) = self.agent_and_suite(plan.agent_id).await?;
        let suite = self.agent_suite(plan.agent_id).await?.suite;
        let scenarios: Vec<Scenario> = match &plan.scenario {
            Some(name) => {
                let found = suite.scenarios.iter().find(|scenario| scenario.name.eq_ignore_ascii_case(name.trim()));
                let names: Vec<&str> = suite.scenarios.iter().map(|scenario| scenario.name.as_str()).collect();
                vec![found.cloned().ok_or_else(|| {
                    EngineError::InvalidRequest(format!(
                        "{} has no scenario {name:?}; its scenarios: {}",
                        agent.config.name,
                        names.join(", ")
                    ))
                })?]
            }
            None => suite.scenarios.clone(),
        };
        let rehearser = self.rehearsers.get(&plan.mode).cloned().ok_or_else(|| {
            EngineError::InvalidRequest(format!("{} rehearsals are not available in this build", plan.mode.as_str()))
        })?;
        rehearser.available(&agent.config).map_err(|error| EngineError::InvalidRequest(error.to_string()))?;
        let version = agent_version(&agent.config);
        let store = Arc::clone(self.store());
        let (agent_id, mode, at) = (agent.id, plan.mode, now());
        let version_kept = version.clone();
        let rehearsal = blocking(move || store.insert_rehearsal(agent_id, &version_kept, mode, at)).await?;
        let runs = plan.runs.max(1);
        let total = scenarios.len() as u32 * runs;
        let (mut results, mut done) = (Vec::new(), 0);
        for scenario in scenarios {
            let call = rehearsal_call(&agent, &suite, &scenario)?;
            let mut result = ScenarioResult { scenario: scenario.name.clone(), runs: Vec::new() };
            for run in 1..=runs {
                let rehearsed = match rehearser.rehearse(call.clone(), scenario.clone(), run).await {
                    Ok(rehearsed) => rehearsed,
                    Err(RehearsalError::Unavailable(why)) => return Err(EngineError::InvalidRequest(why)),
                    Err(RehearsalError::Failed(reason)) => broken_off(reason),
                };
                let checks = check_run(&scenario.expect, &call.variables, &rehearsed);
                let verdicts = self.judged(&rehearsed, &scenario.expect.judged).await;
                let judged = RehearsalRun {
                    scenario: scenario.name.clone(),
                    mode,
                    agent_version: version.clone(),
                    rehearsed,
                    checks,
                    judged: verdicts,
                };
                let (store, kept, seq) = (Arc::clone(self.store()), judged.clone(), done);
                blocking(move || store.add_rehearsal_run(rehearsal, seq, &kept)).await?;
                done += 1;
                self.bus().publish(EngineEvent::RehearsalProgress {
                    agent_id,
                    scenario: scenario.name.clone(),
                    run,
                    passed: judged.passed(),
                    done,
                    total,
                });
                result.runs.push(judged);
            }
            results.push(result);
        }
        Ok(results)
    }

    /// The model judge's verdicts on `expectations` for `rehearsed`. With no judge (or one that
    /// fails), each is unjudged, which is no pass, and says why.
    async fn judged(&self, rehearsed: &Rehearsed, expectations: &[String]) -> Vec<Check> {
        if expectations.is_empty() {
            return Vec::new();
        }
        let verdicts = match &self.judge {
            Some(judge) => match judge.available() {
                Ok(()) => judge.judge(rehearsed.clone(), expectations.to_vec()).await,
                Err(error) => Err(error),
            },
            None => Err(RehearsalError::Unavailable("this build has no model judge".into())),
        };
        verdicts.unwrap_or_else(|error| {
            expectations
                .iter()
                .map(|expectation| Check {
                    expectation: expectation.clone(),
                    passed: false,
                    reason: format!("not judged: {error}"),
                })
                .collect()
        })
    }

    async fn agent_and_suite(&self, agent_id: AgentId) -> Result<(Agent, Option<Suite>), EngineError> {
        let store = Arc::clone(self.store());
        blocking(move || {
            let agent = store.agent(agent_id)?.ok_or(EngineError::AgentNotFound(agent_id))?;
            Ok::<_, EngineError>((agent, store.rehearsal_suite(agent_id)?))
        })
        .await
    }
}

fn no_suite(agent: &Agent) -> EngineError {
    EngineError::InvalidRequest(format!(
        "{} has no rehearsal suite: none was saved for it and no preset is named so",
        agent.config.name
    ))
}

/// A run that broke off before it could be judged on its merits.
fn broken_off(reason: String) -> Rehearsed {
    Rehearsed {
        transcript: Vec::new(),
        fields: Default::default(),
        ending: RehearsalEnding::Failed { reason },
        do_not_call: false,
        provider_verdict: None,
    }
}

/// The call a real one to the suite's contact would be: the contact's, agent's, suite's and
/// scenario's variables filled in (a rehearsed contact has no past calls).
pub fn rehearsal_call(agent: &Agent, suite: &Suite, scenario: &Scenario) -> Result<RehearsalCall, EngineError> {
    let phone = parse_phone(&suite.contact.phone, "US").ok();
    let contact = Contact {
        id: ContactId(0),
        phone_e164: phone.as_ref().map(|phone| phone.e164.clone()),
        phone_extension: phone.and_then(|phone| phone.extension),
        fields: suite.contact.clone(),
    };
    let mut extra = suite.variables.clone();
    extra.extend(scenario.variables.clone());
    let rendered = render_call(agent, &contact, extra, "")?;
    Ok(RehearsalCall {
        agent: agent.clone(),
        contact,
        system_prompt: rendered.system_prompt,
        first_message: rendered.first_message,
        voicemail: rendered.voicemail,
        variables: rendered.variables,
    })
}

/// Problems with a suite, for an error.
pub(crate) fn describe_problems(problems: &[FieldError]) -> String {
    problems.iter().map(|problem| format!("{}: {}", problem.field, problem.message)).collect::<Vec<_>>().join("; ")
}

/// The scenarios of `before` whose results no longer describe `after`: those edited or removed
/// (all of them when what every scenario shares, the contact or the variables, changed).
fn changed_scenarios(before: Option<&Suite>, after: &Suite) -> Vec<String> {
    let Some(before) = before else { return Vec::new() };
    let shared_changed = before.contact != after.contact || before.variables != after.variables;
    before
        .scenarios
        .iter()
        .filter(|old| shared_changed || !after.scenarios.contains(old))
        .map(|old| old.name.clone())
        .collect()
}
