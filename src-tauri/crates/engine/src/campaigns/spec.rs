//! What a campaign is asked to do.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use switchboard_core::{AgentId, ContactId, ContactKind, FieldError, QuoteRequest};

/// The kind of campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum CampaignKind {
    VendorQuote,
    DriverViolation,
}

impl CampaignKind {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VendorQuote => "vendor-quote",
            Self::DriverViolation => "driver-violation",
        }
    }

    /// The kind of contact it calls.
    pub fn contact_kind(self) -> ContactKind {
        match self {
            Self::VendorQuote => ContactKind::Vendor,
            Self::DriverViolation => ContactKind::Driver,
        }
    }
}

/// A campaign as launched (stored as JSON with the campaign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CampaignSpec {
    pub name: String,
    pub kind: CampaignKind,
    /// The agent for round 1 (quotes, or the driver calls).
    pub agent_id: AgentId,
    /// The agent for the negotiation round; without one, a quote run ends after round 1.
    pub negotiation_agent_id: Option<AgentId>,
    pub contacts: Vec<ContactId>,
    /// Calls of this campaign at once.
    pub concurrency: u32,
    /// Attempts per contact and round (no answer, busy and failed calls are retried).
    pub max_attempts: u32,
    /// Wait between attempts, in milliseconds.
    pub retry_spacing_ms: u32,
    /// Call even outside the agents' calling windows (urgent runs, tests).
    #[serde(default)]
    pub ignore_calling_windows: bool,
    /// The most the campaign may spend, in US dollars: no call starts that would pass it (the
    /// campaign pauses, "budget reached"). Raised on resume; the campaign row holds the one in
    /// force.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// What a vendor-quote campaign asks every vendor for; it fills the agents' variables.
    /// Campaigns launched before requests were kept have none (each vendor's own item then).
    #[serde(default)]
    pub request: Option<QuoteRequest>,
}

/// The most calls one campaign places at once.
pub const MAX_CONCURRENCY: u32 = 200;
/// The most attempts per contact and round.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest wait between attempts (a day).
pub const MAX_RETRY_SPACING_MS: u32 = 24 * 60 * 60 * 1000;

impl CampaignSpec {
    /// Every problem with the spec, dates weighed against today on this computer's calendar.
    pub fn problems_today(&self) -> Vec<FieldError> {
        self.problems(crate::clock::local_date(crate::now()))
    }

    /// Every problem with the spec, by field, so a builder can say each beside its input;
    /// dates are weighed against `today` (the dispatcher's).
    pub fn problems(&self, today: Date) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if self.contacts.is_empty() {
            problems.push(FieldError::new("contacts", "pick at least one contact"));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            problems.push(FieldError::new("concurrency", format!("calls at once: 1 to {MAX_CONCURRENCY}")));
        }
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            problems.push(FieldError::new("maxAttempts", format!("attempts per contact: 1 to {MAX_ATTEMPTS}")));
        }
        if self.retry_spacing_ms > MAX_RETRY_SPACING_MS {
            problems
                .push(FieldError::new("retrySpacingMs", "the wait between attempts is at most a day (1440 minutes)"));
        }
        if let Some(budget) = self.budget_usd
            && !(budget.is_finite() && budget > 0.0)
        {
            problems.push(FieldError::new("budgetUsd", "a budget above 0 dollars, or none"));
        }
        match &self.request {
            Some(request) => problems.extend(request.problems(today)),
            None if self.kind == CampaignKind::VendorQuote => problems.push(FieldError::new(
                "request",
                "a quote campaign says what to quote: its request needs an item and a quantity",
            )),
            None => {}
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_limits_are_named_by_field() {
        let spec = CampaignSpec {
            name: "M8".into(),
            kind: CampaignKind::VendorQuote,
            agent_id: AgentId(1),
            negotiation_agent_id: None,
            contacts: vec![ContactId(1)],
            concurrency: 5,
            max_attempts: 2,
            retry_spacing_ms: 300_000,
            ignore_calling_windows: false,
            budget_usd: None,
            request: Some(QuoteRequest { item: "M8 bolts".into(), quantity: 100, ..Default::default() }),
        };
        let today = jiff::civil::date(2026, 1, 15);
        assert!(spec.problems(today).is_empty());
        let unasked = CampaignSpec { request: None, ..spec.clone() };
        let fields: Vec<String> = unasked.problems(today).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["request"], "a quote campaign says what to quote");
        let drivers = CampaignSpec { kind: CampaignKind::DriverViolation, ..unasked };
        assert!(drivers.problems(today).is_empty());
        let request = QuoteRequest { item: "M8 bolts".into(), quantity: 0, ..Default::default() };
        let absurd = CampaignSpec {
            contacts: vec![],
            concurrency: 99_999,
            max_attempts: 0,
            retry_spacing_ms: u32::MAX,
            budget_usd: Some(-1.0),
            request: Some(request),
            ..spec
        };
        let fields: Vec<String> = absurd.problems(today).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["contacts", "concurrency", "maxAttempts", "retrySpacingMs", "budgetUsd", "request.quantity"]
        );
    }
}
