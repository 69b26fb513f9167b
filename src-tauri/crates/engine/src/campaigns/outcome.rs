//! How a finished campaign turned out.

use serde::{Deserialize, Serialize};
use switchboard_core::QuoteSummary;

use super::drivers::{DriverOutcome, OutcomeCount, count_table, driver_table, driver_text};
use super::quote_table::{quote_table, quote_text};
use crate::tables::{ExportFormat, Table};

/// The result stored with a completed campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CampaignResult {
    /// Boxed: a summary is much larger than the driver outcomes' list.
    Quotes(Box<QuoteSummary>),
    Drivers {
        outcomes: Vec<DriverOutcome>,
        /// Counted again whenever the campaign is read.
        #[serde(default)]
        counts: Vec<OutcomeCount>,
    },
}

impl CampaignResult {
    /// The result as a file in `format`.
    pub fn export(&self, format: ExportFormat) -> Result<Vec<u8>, String> {
        match format {
            ExportFormat::Json => serde_json::to_vec_pretty(self).map_err(|err| format!("could not write JSON: {err}")),
            ExportFormat::Csv => Ok(self.to_table().to_csv().into_bytes()),
            // A driver batch's workbook counts each outcome on a sheet of its own.
            ExportFormat::Xlsx => match self {
                CampaignResult::Drivers { counts, .. } => self.to_table().to_xlsx_with(&[count_table(counts)]),
                CampaignResult::Quotes(_) => self.to_table().to_xlsx(),
            },
            ExportFormat::Text => Ok(self.to_text().into_bytes()),
        }
    }

    /// The result as a table: the ranked offers with every round's price and landed cost and
    /// every field collected, or the driver outcomes with their words and reviews.
    pub fn to_table(&self) -> Table {
        match self {
            CampaignResult::Quotes(summary) => quote_table(summary),
            CampaignResult::Drivers { outcomes, .. } => driver_table(outcomes),
        }
    }

    /// The result as the command line prints it.
    pub fn to_text(&self) -> String {
        match self {
            CampaignResult::Quotes(summary) => quote_text(summary),
            CampaignResult::Drivers { outcomes, .. } => driver_text(outcomes),
        }
    }
}
