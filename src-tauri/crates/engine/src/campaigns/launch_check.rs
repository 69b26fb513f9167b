//! Who a campaign would skip and why, and what it should warn about: one check, so the builder
//! before launch and the campaign's targets after it give the same reasons in the same words.

use serde::Serialize;
use switchboard_core::{
    Agent, AgentId, Contact, ContactId, ContactKind, QuoteRequest, check_contact, extension_warning,
};
use switchboard_store::Store;

use crate::EngineError;
use crate::variables::call_variables;

/// A contact the builder skips or warns about before launch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LaunchProblem {
    pub contact_id: ContactId,
    pub contact_name: String,
    /// Why the contact will be skipped (every reason, "; " between them); `None` when it will
    /// be called.
    pub skip_reason: Option<String>,
    /// What will not go as the contact's details say (an extension the agent cannot dial).
    pub warnings: Vec<String>,
}

/// Variables a campaign supplies itself in the negotiation round.
const CAMPAIGN_VARIABLES: [&str; 6] =
    ["their_price", "their_landed", "best_price", "best_landed", "best_vendor", "target_price"];

/// Checks, before launch, which contacts a campaign for `expected` contacts (asking for
/// `request`) would skip in round 1 with `agent_id` and why, and what it should warn about
/// (round 2 with `negotiation_agent_id` skipping them, an extension not dialled).
pub fn launch_problems(
    store: &Store,
    agent_id: AgentId,
    negotiation_agent_id: Option<AgentId>,
    contacts: &[ContactId],
    expected: ContactKind,
    request: Option<&QuoteRequest>,
) -> Result<Vec<LaunchProblem>, EngineError> {
    let region = crate::settings::default_region(store)?;
    let agent = |id: AgentId| store.agent(id)?.ok_or(EngineError::AgentNotFound(id));
    let round_one = agent(agent_id)?;
    let negotiation = negotiation_agent_id.map(agent).transpose()?;
    let mut problems = Vec::new();
    for id in contacts {
        let contact = store.contact(*id)?.ok_or(EngineError::ContactNotFound(*id))?;
        let reason = skip_reason(&contact, &round_one, expected, &region, request);
        let mut warnings = Vec::new();
        if let Some(negotiation) = negotiation.as_ref().filter(|_| reason.is_none())
            && let Some(missing) = missing_variables(negotiation, &contact, request)
        {
            warnings.push(format!("round 2 will skip it: {missing}"));
        }
        for agent in std::iter::once(&round_one).chain(&negotiation) {
            let warning =
                contact.phone_extension.as_deref().and_then(|ext| extension_warning(ext, agent.config.backend));
            if let Some(warning) = warning.filter(|warning| !warnings.contains(warning)) {
                warnings.push(warning);
            }
        }
        if reason.is_some() || !warnings.is_empty() {
            problems.push(LaunchProblem {
                contact_id: *id,
                contact_name: contact.fields.name,
                skip_reason: reason,
                warnings,
            });
        }
    }
    Ok(problems)
}

/// Why a campaign for `expected` contacts (asking for `request`) cannot call `contact` with
/// `agent`, every reason joined; `None` when it can.
pub(crate) fn skip_reason(
    contact: &Contact,
    agent: &Agent,
    expected: ContactKind,
    region: &str,
    request: Option<&QuoteRequest>,
) -> Option<String> {
    let fields = &contact.fields;
    let mut reasons: Vec<String> = Vec::new();
    if fields.kind() != expected {
        reasons.push(format!("a {}, not a {}", fields.kind().as_str(), expected.as_str()));
    }
    if fields.do_not_call {
        reasons.push("on the do-not-call list".into());
    }
    reasons.extend(check_contact(fields, region).problems.into_iter().map(|problem| problem.message));
    reasons.extend(missing_variables(agent, contact, request));
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// "Agent needs a, b" when `agent`'s texts use variables neither `contact` nor the campaign
/// (its request, its rounds) supplies.
fn missing_variables(agent: &Agent, contact: &Contact, request: Option<&QuoteRequest>) -> Option<String> {
    let mut vars = call_variables(agent, contact);
    vars.extend(request.map(QuoteRequest::variables).unwrap_or_default());
    let missing: Vec<String> = agent
        .config
        .variables()
        .into_iter()
        .filter(|v| !vars.contains_key(v) && !CAMPAIGN_VARIABLES.contains(&v.as_str()))
        .collect();
    (!missing.is_empty()).then(|| format!("{} needs {}", agent.config.name, missing.join(", ")))
}
