//! How a finished campaign turned out.

use serde::{Deserialize, Serialize};
use switchboard_core::{CallState, ContactId, QuoteSummary};

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
    /// The result as a CSV table: the ranked offers, or the driver outcomes.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
        let records: Vec<Vec<String>> = match self {
            CampaignResult::Quotes(s) => std::iter::once(
                [
                    "rank",
                    "vendor",
                    "round",
                    "unit_price",
                    "round_1_price",
                    "moq",
                    "lead_time_days",
                    "shipping",
                    "terms",
                    "confidence",
                ]
                .map(str::to_owned)
                .to_vec(),
            )
            .chain(s.ranked.iter().map(|r| {
                vec![
                    r.rank.to_string(),
                    r.vendor.clone(),
                    r.round.to_string(),
                    opt(r.offer.unit_price),
                    opt(r.first_price),
                    r.offer.moq.map(|m| m.to_string()).unwrap_or_default(),
                    r.offer.lead_time_days.map(|d| d.to_string()).unwrap_or_default(),
                    r.offer.shipping.clone().unwrap_or_default(),
                    r.offer.terms.clone().unwrap_or_default(),
                    format!("{:.2}", r.offer.confidence),
                ]
            }))
            .collect(),
            CampaignResult::Drivers { outcomes } => {
                std::iter::once(vec!["driver".into(), "outcome".into(), "reason".into()])
                    .chain(outcomes.iter().map(|o| vec![o.driver.clone(), o.outcome.clone(), o.reason.clone()]))
                    .collect()
            }
        };
        for record in records {
            // Writing to memory cannot fail.
            let _ = writer.write_record(&record);
        }
        writer.into_inner().ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default()
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
                    let was = r.first_price.map(|p| format!(" (was ${p:.2})")).unwrap_or_default();
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
