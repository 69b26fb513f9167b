//! What a campaign is asked to do.

use serde::{Deserialize, Serialize};
use switchboard_core::{AgentId, ContactId, ContactKind};

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
}
