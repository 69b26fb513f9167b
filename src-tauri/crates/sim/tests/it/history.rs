//! History over a real simulated campaign: exports (JSON, CSV, .xlsx, the summary with every
//! round's price) that read back equal to the database, and forgetting a vendor who is in the
//! campaign's summary.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_engine::EngineEvent;
use switchboard_engine::campaigns::{CampaignKind, CampaignResult, CampaignSpec};
use switchboard_engine::history::{
    CallCsvRow, CampaignExport, call_record, export_call, export_campaign, forget_contact,
};
use switchboard_engine::tables::{ExportFormat, read_table};

/// A callee whose name a spreadsheet would run as a formula, were it written as it is.
const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";

/// Runs a quote campaign over the sample vendors, the first of them renamed to `first_vendor`.
async fn finished_quote_campaign(first_vendor: Option<&str>) -> (Arc<switchboard_engine::Engine>, i64) {
    let engine = Arc::new(super::engine(1000.0));
    let mut events = engine.bus().subscribe();
    let store = Arc::clone(engine.store());
    if let Some(name) = first_vendor {
        let first = store.list_contacts().unwrap().remove(0);
        let fields = switchboard_core::ContactFields { name: name.to_owned(), ..first.fields };
        let phone = first.phone_e164.map(switchboard_core::Phone::plain);
        store.update_contact(first.id, &fields, phone.as_ref(), switchboard_core::UnixMillis(1)).unwrap();
    }
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;
    let spec = CampaignSpec {
        name: "Export me".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent("Vendor quote"),
        negotiation_agent_id: Some(agent("Vendor negotiation")),
        contacts: store.list_contacts().unwrap().into_iter().map(|c| c.id).collect(),
        concurrency: 5,
        max_attempts: 1,
        retry_spacing_ms: 10,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(switchboard_fakes::fixtures::bolts_request(10_000)),
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv()).await.expect("campaign ends").unwrap();
        if matches!(&*event, EngineEvent::CampaignUpdated { campaign_id, status, .. } if *campaign_id == id && status == "completed")
        {
            break (engine, id);
        }
    }
}

#[tokio::test]
async fn campaign_exports_read_back_equal_to_the_database() {
    let (engine, id) = finished_quote_campaign(Some(FORMULA)).await;
    let store = engine.store();
    let calls = store.calls_in_campaign(id).unwrap();
    assert!(calls.len() >= 6, "two rounds of calls: {}", calls.len());

    let json = export_campaign(store, id, ExportFormat::Json).unwrap();
    let export: CampaignExport = serde_json::from_slice(&json).unwrap();
    let summary: CampaignResult =
        serde_json::from_str(store.campaign(id).unwrap().unwrap().summary.as_deref().unwrap()).unwrap();
    assert_eq!(export.result, Some(summary));
    assert_eq!(export.name, "Export me");
    let from_db: Vec<_> = calls.iter().map(|call| call_record(store, call.id).unwrap()).collect();
    assert_eq!(export.calls, from_db);
    assert!(export.calls.iter().any(|record| record.offer.is_some() && !record.transcript.is_empty()));

    let csv = export_campaign(store, id, ExportFormat::Csv).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.contains(&format!("\"'{}\"", FORMULA.replace('"', "\"\""))),
        "the callee's name is neutralised:\n{text}"
    );
    assert!(!text.contains(",+1"), "phone numbers are neutralised too");
    let rows = CallCsvRow::read(&csv).unwrap();
    assert!(rows.iter().any(|row| row.contact == FORMULA), "and read back as they were");
    let xlsx = export_campaign(store, id, ExportFormat::Xlsx).unwrap();
    assert_eq!(CallCsvRow::read(&xlsx).unwrap(), rows, "the .xlsx export holds what the CSV does");
    assert_eq!(rows.len(), calls.len());
    for (row, record) in rows.iter().zip(&from_db) {
        let call = &record.call;
        assert_eq!(
            (row.call_id, row.contact.as_str(), row.state.as_str()),
            (call.id.0, call.contact_name.as_str(), call.state.as_str())
        );
        assert_eq!(row.placed_at.parse::<jiff::Timestamp>().unwrap().as_millisecond(), call.created_at.0);
        assert_eq!((row.round, row.attempt, row.campaign_id), (call.round, call.attempt, Some(id)));
        assert_eq!(row.transcript_lines().unwrap(), record.transcript, "call {}", call.id);
        let fields: BTreeMap<String, String> = serde_json::from_str(&row.fields).unwrap();
        let stored: BTreeMap<String, String> = record.fields.iter().map(|f| (f.key.clone(), f.value.clone())).collect();
        assert_eq!(fields, stored);
        assert_eq!(row.unit_price, record.offer.as_ref().and_then(|o| o.unit_price));
        assert_eq!(row.outcome, record.outcome);
        assert_eq!((row.phone.as_str(), row.agent.as_str()), (call.phone.as_str(), call.agent_name.as_str()));
        assert_eq!(row.duration_s, call.answered_at.zip(call.ended_at).map(|(a, e)| (e.0 - a.0) as f64 / 1000.0));
        let price = record.price.as_ref().expect("a simulator call is priced as if real");
        assert_eq!(row.cost_usd, Some(price.total_usd));
        assert_eq!(row.cost_estimate.as_deref(), Some("estimate"));
        let breakdown = row.cost_breakdown.as_deref().unwrap();
        assert_eq!(breakdown.lines().count(), price.items.len());
        assert!(breakdown.starts_with("Twilio minutes: "), "{breakdown}");
    }

    let text = String::from_utf8(export_call(store, calls[0].id, ExportFormat::Text).unwrap()).unwrap();
    assert!(text.starts_with(&format!("Call {} — {}", calls[0].id, calls[0].contact_name)));
    for line in &from_db[0].transcript {
        assert!(text.contains(&line.text), "{:?} is in the readable transcript", line.text);
    }
    let campaign_text = String::from_utf8(export_campaign(store, id, ExportFormat::Text).unwrap()).unwrap();
    assert!(campaign_text.contains("quotes received"));
    assert_eq!(campaign_text.matches("\nCall ").count(), calls.len());
}

#[tokio::test]
async fn the_summary_keeps_every_rounds_price_and_its_exports_read_back_equal() {
    let (engine, id) = finished_quote_campaign(None).await;
    let store = engine.store();
    let result: CampaignResult =
        serde_json::from_str(store.campaign(id).unwrap().unwrap().summary.as_deref().unwrap()).unwrap();
    let CampaignResult::Quotes(summary) = &result else { panic!("a quote summary") };
    let offers = store.campaign_offers(id).unwrap();
    assert!(offers.iter().any(|(round, ..)| *round == 2), "the campaign negotiated");
    for (round, vendor, offer) in &offers {
        let ranked = summary.ranked.iter().find(|r| r.offer.contact_id == offer.contact_id).unwrap();
        assert_eq!(ranked.price_in(*round), offer.unit_price, "{vendor}'s round {round} price is in the summary");
    }
    let not_called_again = summary.ranked.iter().find(|r| r.round == 1 && r.offer.unit_price.is_some()).unwrap();
    assert_eq!(not_called_again.price_in(1), not_called_again.offer.unit_price, "{}", not_called_again.vendor);

    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let table = read_table(&result.export(format).unwrap()).unwrap();
        let header = &table[0];
        let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}: {header:?}"));
        let number = |cell: &str| (!cell.is_empty()).then(|| cell.parse::<f64>().unwrap());
        assert_eq!(table.len(), summary.ranked.len() + 1, "{format:?}");
        for (row, ranked) in table[1..].iter().zip(&summary.ranked) {
            assert_eq!(row[column("rank")], ranked.rank.to_string(), "{format:?}");
            assert_eq!(row[column("vendor")], ranked.vendor, "{format:?}");
            assert_eq!(row[column("round")], ranked.round.to_string(), "{format:?}");
            assert_eq!(number(&row[column("unit_price")]), ranked.offer.unit_price, "{format:?}");
            for round in [1, 2] {
                let cell = &row[column(&format!("round_{round}_price"))];
                assert_eq!(number(cell), ranked.price_in(round), "{format:?} {} round {round}", ranked.vendor);
            }
            assert_eq!(number(&row[column("moq")]), ranked.offer.moq.map(f64::from), "{format:?}");
            assert_eq!(number(&row[column("lead_time_days")]), ranked.offer.lead_time_days.map(f64::from));
            assert_eq!(number(&row[column("landed_cost")]), ranked.landed_price(), "{format:?}");
            assert_eq!(row[column("freight")], ranked.offer.shipping.clone().unwrap_or_default(), "{format:?}");
            assert_eq!(row[column("payment_terms")], ranked.offer.terms.clone().unwrap_or_default(), "{format:?}");
            assert_eq!(number(&row[column("quote_valid_days")]), ranked.offer.valid_days.map(f64::from));
            assert_eq!(number(&row[column("confidence")]), Some(ranked.offer.confidence), "{format:?}");
        }
    }
}

#[tokio::test]
async fn a_forgotten_vendor_leaves_the_campaign_summary_and_history() {
    let (engine, id) = finished_quote_campaign(None).await;
    let store = engine.store();
    let CampaignResult::Quotes(before) =
        serde_json::from_str(store.campaign(id).unwrap().unwrap().summary.as_deref().unwrap()).unwrap()
    else {
        panic!("a quote summary")
    };
    let best = before.ranked[0].clone();
    assert!(before.recommendation.contains(&best.vendor));

    let forgotten = forget_contact(store, None, best.offer.contact_id).unwrap();
    // One call per round the best vendor quoted in (every simulated call quotes).
    assert_eq!(forgotten.calls as usize, best.round_prices.len());
    let CampaignResult::Quotes(after) =
        serde_json::from_str(store.campaign(id).unwrap().unwrap().summary.as_deref().unwrap()).unwrap()
    else {
        panic!("a quote summary")
    };
    assert_eq!(after.ranked.len(), before.ranked.len() - 1);
    assert_eq!(
        after.ranked.iter().map(|r| r.rank).collect::<Vec<_>>(),
        (1..=after.ranked.len() as u32).collect::<Vec<_>>()
    );
    assert!(!after.recommendation.contains(&best.vendor) && after.recommendation.contains("a forgotten contact"));
    assert!(store.calls_in_campaign(id).unwrap().iter().all(|call| call.contact_id != best.offer.contact_id));
    let json = String::from_utf8(export_campaign(store, id, ExportFormat::Json).unwrap()).unwrap();
    assert!(!json.contains(&best.vendor), "the export does not name them");
}
