//! How a finished campaign turned out.

use serde::{Deserialize, Serialize};
use switchboard_core::{CallState, ContactId, QuoteSummary};

use super::quote_table::{quote_table, quote_text};
use crate::tables::{Cell, ExportFormat, Table};

/// The result stored with a completed campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CampaignResult {
    /// Boxed: a summary is much larger than the driver outcomes' list.
    Quotes(Box<QuoteSummary>),
    Drivers {
        outcomes: Vec<DriverOutcome>,
    },
}

/// What one driver call came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DriverOutcome {
    pub contact_id: ContactId,
    pub driver: String,
    /// reached, acknowledged, transferred, voicemail, no answer, failed, skipped.
    pub outcome: String,
    pub reason: String,
}

/// Classifies a driver call from its final state and what the agent collected.
pub(crate) fn driver_outcome(state: CallState, fields: &[(String, String)]) -> &'static str {
    let yes = |key: &str| {
        fields.iter().any(|(k, v)| k == key && matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true"))
    };
    match state {
        CallState::Completed if yes("wants_dispatcher") => "transferred",
        CallState::Completed if yes("acknowledged") => "acknowledged",
        CallState::Completed => "reached",
        CallState::Voicemail => "voicemail",
        CallState::NoAnswer | CallState::Busy => "no answer",
        _ => "failed",
    }
}

impl CampaignResult {
    /// The result as a file in `format`.
    pub fn export(&self, format: ExportFormat) -> Result<Vec<u8>, String> {
        match format {
            ExportFormat::Json => serde_json::to_vec_pretty(self).map_err(|err| format!("could not write JSON: {err}")),
            ExportFormat::Csv => Ok(self.to_table().to_csv().into_bytes()),
            ExportFormat::Xlsx => self.to_table().to_xlsx(),
            ExportFormat::Text => Ok(self.to_text().into_bytes()),
        }
    }

    /// The result as a table: the ranked offers with every round's price and landed cost and
    /// every field collected, or the driver outcomes.
    pub fn to_table(&self) -> Table {
        match self {
            CampaignResult::Quotes(summary) => quote_table(summary),
            CampaignResult::Drivers { outcomes } => Table {
                sheet: "Drivers",
                header: ["driver", "outcome", "reason"].map(str::to_owned).to_vec(),
                rows: outcomes
                    .iter()
                    .map(|o| {
                        vec![Cell::Text(o.driver.clone()), Cell::Text(o.outcome.clone()), Cell::Text(o.reason.clone())]
                    })
                    .collect(),
            },
        }
    }

    /// The result as the command line prints it.
    pub fn to_text(&self) -> String {
        match self {
            CampaignResult::Quotes(summary) => quote_text(summary),
            CampaignResult::Drivers { outcomes } => {
                outcomes.iter().map(|o| format!("{:<28} {:<13} {}\n", o.driver, o.outcome, o.reason)).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_outcomes_follow_state_and_answers() {
        let fields =
            |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(driver_outcome(CallState::Completed, &fields(&[("acknowledged", "yes")])), "acknowledged");
        assert_eq!(
            driver_outcome(CallState::Completed, &fields(&[("acknowledged", "yes"), ("wants_dispatcher", "true")])),
            "transferred"
        );
        assert_eq!(driver_outcome(CallState::Completed, &fields(&[("acknowledged", "no")])), "reached");
        assert_eq!(driver_outcome(CallState::Busy, &[]), "no answer");
        assert_eq!(driver_outcome(CallState::Lost, &[]), "failed");
    }
}
