//! A quote summary as a table (CSV, .xlsx) and as text: every round's unit price and landed
//! cost, how the landed cost is made up, the flags, and every field collected, custom ones too.

use std::fmt::Write;

use switchboard_core::{QuoteSummary, RankedOffer, money};

use crate::tables::{Cell, Table};

/// The summary's table: one row per vendor, best first.
pub(crate) fn quote_table(summary: &QuoteSummary) -> Table {
    let rounds =
        summary.ranked.iter().flat_map(|r| r.round_prices.iter().map(|p| p.round).chain([r.round])).max().unwrap_or(1);
    let mut header: Vec<String> = ["rank", "vendor", "round", "unit_price", "landed_cost"].map(str::to_owned).to_vec();
    for round in 1..=rounds {
        header.extend([format!("round_{round}_price"), format!("round_{round}_landed")]);
    }
    header.extend(
        [
            "moq",
            "lead_time_days",
            "freight",
            "freight_per_unit",
            "freight_estimated",
            "payment_terms",
            "terms_adjustment",
            "quote_valid_days",
            "flags",
            "confidence",
        ]
        .map(str::to_owned),
    );
    header.extend(summary.custom_keys.iter().cloned());
    let rows = summary.ranked.iter().map(|r| row(r, rounds, &summary.custom_keys)).collect();
    Table { sheet: "Quotes", header, rows }
}

fn row(r: &RankedOffer, rounds: u8, custom_keys: &[String]) -> Vec<Cell> {
    let mut row = vec![
        Cell::Number(f64::from(r.rank)),
        Cell::Text(r.vendor.clone()),
        Cell::Number(f64::from(r.round)),
        Cell::number(r.offer.unit_price),
        Cell::number(r.landed_price()),
    ];
    for round in 1..=rounds {
        let landed = r.round_prices.iter().find(|p| p.round == round).and_then(|p| p.landed);
        row.extend([Cell::number(r.price_in(round)), Cell::number(landed)]);
    }
    let landed = r.landed.as_ref();
    let flags: Vec<&str> = landed.iter().flat_map(|l| &l.flags).map(|f| f.message.as_str()).collect();
    row.extend([
        Cell::number(r.offer.moq),
        Cell::number(r.offer.lead_time_days),
        Cell::text(r.offer.shipping.clone()),
        Cell::number(landed.and_then(|l| l.freight_per_unit)),
        Cell::text(landed.map(|l| if l.freight_estimated { "yes" } else { "no" })),
        Cell::text(r.offer.terms.clone()),
        Cell::number(landed.map(|l| l.terms_adjustment)),
        Cell::number(r.offer.valid_days),
        Cell::text((!flags.is_empty()).then(|| flags.join("; "))),
        Cell::Number(r.offer.confidence),
    ]);
    row.extend(custom_keys.iter().map(|key| Cell::text(r.fields.get(key).cloned())));
    row
}

/// The summary as the command line prints it.
pub(crate) fn quote_text(s: &QuoteSummary) -> String {
    let mut out = String::new();
    let dollars = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), money);
    let _ = writeln!(
        out,
        "{:>4}  {:<32} {:>5} {:>10} {:>10} {:>8} {:>9}  terms",
        "rank", "vendor", "round", "unit", "landed", "moq", "lead"
    );
    for r in &s.ranked {
        let was = r.earlier_price().map(|p| format!(" (was {})", money(p))).unwrap_or_default();
        let flagged = if r.compliant() { "" } else { "  FLAGGED" };
        let _ = writeln!(
            out,
            "{:>4}  {:<32} {:>5} {:>10} {:>10} {:>8} {:>9}  {}{was}{flagged}",
            r.rank,
            r.vendor,
            r.round,
            dollars(r.offer.unit_price),
            dollars(r.landed_price()),
            r.offer.moq.map_or_else(|| "–".into(), |m| m.to_string()),
            r.offer.lead_time_days.map_or_else(|| "–".into(), |d| format!("{d} days")),
            r.offer.terms.as_deref().unwrap_or("–"),
        );
    }
    let _ = writeln!(out, "\nquotes received: {} of {} suppliers called", s.quotes_received, s.suppliers_called);
    if let Some(note) = &s.target_note {
        let _ = writeln!(out, "target: {note}");
    }
    let _ = writeln!(
        out,
        "highest quote: {}; savings: {} per unit landed",
        dollars(s.highest_price),
        dollars(s.savings_per_unit)
    );
    if let (Some(total), Some(pct)) = (s.savings_total, s.savings_percent) {
        let _ = writeln!(out, "savings on the order: ${total:.2} ({pct:.1}%)");
    }
    if let Some(lead) = s.average_lead_time_days {
        let _ = writeln!(out, "average lead time: {lead:.1} days");
    }
    let _ = writeln!(out, "\n{}", s.recommendation);
    for alternative in &s.alternatives {
        let _ = writeln!(out, "  or {alternative}");
    }
    for step in &s.next_steps {
        let _ = writeln!(out, "- {step}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use switchboard_core::{CallId, ContactId, Decision, Offer, QuoteRequest, RoundQuote, summarize_quotes};

    use crate::campaigns::CampaignResult;
    use crate::tables::{ExportFormat, read_table};

    fn quote(contact: i64, vendor: &str, round: u8, price: Option<f64>, freight: &str) -> RoundQuote {
        let offer = Offer {
            call_id: CallId(contact * 10 + i64::from(round)),
            contact_id: ContactId(contact),
            unit_price: price,
            moq: Some(100),
            lead_time_days: Some(7),
            shipping: Some(freight.into()),
            terms: Some("-5% on pickup".into()),
            valid_days: Some(30),
            confidence: 0.8,
        };
        let fields = BTreeMap::from([("pallets".to_owned(), format!("{contact}"))]);
        RoundQuote { vendor: vendor.into(), round, offer, quoted_on: Some("2026-01-15".into()), fields }
    }

    #[test]
    fn the_summary_table_has_every_round_landed_cost_and_field_and_no_formula_in_csv() {
        let formula = "=HYPERLINK(\"http://x\",\"y\")";
        let quotes = [
            quote(1, formula, 1, Some(0.50), "included"),
            quote(2, "Best", 1, Some(0.40), "$50 for the lot"),
            quote(3, "Cutter", 1, Some(0.60), "FOB origin"),
            quote(1, formula, 2, Some(0.50), "included"),
            quote(3, "Cutter", 2, Some(0.45), "FOB origin"),
        ];
        // 100 units, $20 estimated freight for origin quotes; terms read as nothing. A round-2
        // offer takes what it did not say from round 1, so it is complete (confidence 1).
        let request =
            QuoteRequest { item: "x".into(), quantity: 100, freight_estimate: Some(20.0), ..Default::default() };
        let decision = Decision { request: &request, annual_rate: 0.08, today: jiff::civil::date(2026, 1, 20) };
        let result = CampaignResult::Quotes(Box::new(summarize_quotes(&quotes, 3, &decision, &[])));
        let header = "rank vendor round unit_price landed_cost round_1_price round_1_landed round_2_price round_2_landed \
                      moq lead_time_days freight freight_per_unit freight_estimated payment_terms terms_adjustment \
                      quote_valid_days flags confidence pallets";
        let row = |cells: &str| cells.split('|').map(str::to_owned).collect::<Vec<_>>();
        let expected = [
            header.split_whitespace().map(str::to_owned).collect(),
            // 0.40 + 50 / 100 = 0.90; Cutter 0.45 + 20 / 100 estimated = 0.65; the formula vendor 0.50.
            row(&format!("1|{formula}|2|0.5|0.5|0.5|0.5|0.5|0.5|100|7|included|0|no|-5% on pickup|0|30||1|1")),
            row("2|Cutter|2|0.45|0.65|0.6|0.8|0.45|0.65|100|7|FOB origin|0.2|yes|-5% on pickup|0|30||1|3"),
            row("3|Best|1|0.4|0.9|0.4|0.9|||100|7|$50 for the lot|0.5|no|-5% on pickup|0|30||0.8|2"),
        ];
        let csv = result.export(ExportFormat::Csv).unwrap();
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.contains("'=HYPERLINK") && text.contains("'-5% on pickup"), "{text}");
        assert_eq!(read_table(&csv).unwrap(), expected, "CSV reads back equal");
        let xlsx = result.export(ExportFormat::Xlsx).unwrap();
        assert!(xlsx.starts_with(b"PK"), "a real workbook");
        assert_eq!(read_table(&xlsx).unwrap(), expected, ".xlsx reads back equal");
    }
}
