//! How a finished campaign turned out.

use serde::{Deserialize, Serialize};
use switchboard_core::{CallState, ContactId, QuoteSummary};

use crate::tables::{Cell, ExportFormat, Table};

/// The result stored with a completed campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CampaignResult {
    Quotes(QuoteSummary),
    Drivers { outcomes: Vec<DriverOutcome> },
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

    /// The result as a table: the ranked offers with every round's price, or the driver outcomes.
    pub fn to_table(&self) -> Table {
        match self {
            CampaignResult::Quotes(s) => {
                let rounds = s
                    .ranked
                    .iter()
                    .flat_map(|r| r.round_prices.iter().map(|p| p.round).chain([r.round]))
                    .max()
                    .unwrap_or(1);
                let mut header: Vec<String> = ["rank", "vendor", "round", "unit_price"].map(str::to_owned).to_vec();
                header.extend((1..=rounds).map(|round| format!("round_{round}_price")));
                header.extend(["moq", "lead_time_days", "shipping", "terms", "confidence"].map(str::to_owned));
                let rows = s
                    .ranked
                    .iter()
                    .map(|r| {
                        let mut row = vec![
                            Cell::Number(f64::from(r.rank)),
                            Cell::Text(r.vendor.clone()),
                            Cell::Number(f64::from(r.round)),
                            Cell::number(r.offer.unit_price),
                        ];
                        row.extend((1..=rounds).map(|round| Cell::number(r.price_in(round))));
                        row.extend([
                            Cell::number(r.offer.moq),
                            Cell::number(r.offer.lead_time_days),
                            Cell::text(r.offer.shipping.clone()),
                            Cell::text(r.offer.terms.clone()),
                            Cell::Number(r.offer.confidence),
                        ]);
                        row
                    })
                    .collect();
                Table { sheet: "Quotes", header, rows }
            }
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
        use std::fmt::Write;
        let mut out = String::new();
        let money = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("${v:.2}"));
        match self {
            CampaignResult::Quotes(s) => {
                let _ = writeln!(
                    out,
                    "{:>4}  {:<32} {:>5} {:>10} {:>8} {:>9}  terms",
                    "rank", "vendor", "round", "unit", "moq", "lead"
                );
                for r in &s.ranked {
                    let was = r.earlier_price().map(|p| format!(" (was ${p:.2})")).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{:>4}  {:<32} {:>5} {:>10} {:>8} {:>9}  {}{was}",
                        r.rank,
                        r.vendor,
                        r.round,
                        money(r.offer.unit_price),
                        r.offer.moq.map_or_else(|| "–".into(), |m| m.to_string()),
                        r.offer.lead_time_days.map_or_else(|| "–".into(), |d| format!("{d} days")),
                        r.offer.terms.as_deref().unwrap_or("–"),
                    );
                }
                let _ = writeln!(
                    out,
                    "\nquotes received: {} of {} suppliers called",
                    s.quotes_received, s.suppliers_called
                );
                let _ = writeln!(
                    out,
                    "highest quote: {}; savings: {} per unit",
                    money(s.highest_price),
                    money(s.savings_per_unit)
                );
                if let (Some(total), Some(pct)) = (s.savings_total, s.savings_percent) {
                    let _ = writeln!(out, "savings on the order: ${total:.2} ({pct:.1}%)");
                }
                if let Some(lead) = s.average_lead_time_days {
                    let _ = writeln!(out, "average lead time: {lead:.1} days");
                }
                let _ = writeln!(out, "\n{}", s.recommendation);
                for step in &s.next_steps {
                    let _ = writeln!(out, "- {step}");
                }
            }
            CampaignResult::Drivers { outcomes } => {
                for o in outcomes {
                    let _ = writeln!(out, "{:<28} {:<13} {}", o.driver, o.outcome, o.reason);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::{CallId, Offer, RoundQuote, summarize_quotes};

    use super::*;
    use crate::tables::read_table;

    fn quote(contact: i64, vendor: &str, round: u8, price: Option<f64>) -> RoundQuote {
        let offer = Offer {
            call_id: CallId(contact * 10 + i64::from(round)),
            contact_id: ContactId(contact),
            unit_price: price,
            moq: Some(500),
            lead_time_days: Some(7),
            shipping: None,
            terms: Some("-5% on pickup".into()),
            confidence: 0.8,
        };
        RoundQuote { vendor: vendor.into(), round, offer }
    }

    #[test]
    fn the_summary_table_has_every_round_price_and_no_formula_in_csv() {
        let formula = "=HYPERLINK(\"http://x\",\"y\")";
        let quotes = [
            quote(1, formula, 1, Some(0.50)),
            quote(2, "Best", 1, Some(0.40)),
            quote(3, "Cutter", 1, Some(0.60)),
            quote(1, formula, 2, Some(0.50)),
            quote(3, "Cutter", 2, Some(0.45)),
        ];
        let result = CampaignResult::Quotes(summarize_quotes(&quotes, 3, Some(100), &[]));
        let expected = [
            [
                "rank",
                "vendor",
                "round",
                "unit_price",
                "round_1_price",
                "round_2_price",
                "moq",
                "lead_time_days",
                "shipping",
                "terms",
                "confidence",
            ]
            .map(str::to_owned)
            .to_vec(),
            ["1", "Best", "1", "0.4", "0.4", "", "500", "7", "", "-5% on pickup", "0.8"].map(str::to_owned).to_vec(),
            ["2", "Cutter", "2", "0.45", "0.6", "0.45", "500", "7", "", "-5% on pickup", "0.8"]
                .map(str::to_owned)
                .to_vec(),
            ["3", formula, "2", "0.5", "0.5", "0.5", "500", "7", "", "-5% on pickup", "0.8"]
                .map(str::to_owned)
                .to_vec(),
        ];
        let csv = result.export(ExportFormat::Csv).unwrap();
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.contains("'=HYPERLINK") && text.contains("'-5% on pickup"), "{text}");
        assert_eq!(read_table(&csv).unwrap(), expected, "CSV reads back equal");
        let xlsx = result.export(ExportFormat::Xlsx).unwrap();
        assert!(xlsx.starts_with(b"PK"), "a real workbook");
        assert_eq!(read_table(&xlsx).unwrap(), expected, ".xlsx reads back equal");
    }

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
