//! A driver batch on the realistic cast: every outcome turns up with its count, a disputing
//! driver's words come with the lines around them, and the review queue resolves and exports.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{Speaker, UnixMillis, parse_phone};
use switchboard_engine::campaigns::{
    CampaignKind, CampaignResult, CampaignSpec, DriverAnswer, campaign_view, resolve_review,
};
use switchboard_engine::tables::{ExportFormat, read_sheet, read_table};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_sim::{SimSettings, Simulator};
use switchboard_store::Store;

/// How many drivers the batch calls: enough that the seeded cast gives every outcome.
const DRIVERS: u32 = 60;

#[tokio::test]
async fn a_realistic_driver_batch_gives_every_outcome_and_its_disputes_are_resolved_and_exported() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed_drivers(&store);
    let template = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Maria Lopez").unwrap();
    let mut ids = Vec::new();
    for n in 0..=DRIVERS {
        let mut fields = template.fields.clone();
        fields.name = format!("Driver {n:02}");
        fields.phone = format!("+1312555{:04}", 2000 + n);
        // The last is on the do-not-call list: skipped, with the reason.
        fields.do_not_call = n == DRIVERS;
        let phone = parse_phone(&fields.phone, "US").unwrap();
        ids.push(store.insert_contact(&fields, Some(&phone), UnixMillis(1)).unwrap());
    }
    let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    engine.register_backend(Arc::new(Simulator::new(SimSettings { time_scale: 2_000.0, ..SimSettings::default() })));
    let engine = Arc::new(engine);
    let spec = CampaignSpec {
        name: "week 48".into(),
        kind: CampaignKind::DriverViolation,
        agent_id: store.list_agents().unwrap()[0].id,
        negotiation_agent_id: None,
        contacts: ids,
        concurrency: 10,
        max_attempts: 1,
        retry_spacing_ms: 5,
        ignore_calling_windows: true,
        budget_usd: None,
        request: None,
    };
    let id = engine.launch_campaign(spec).await.unwrap();
    while store.campaign(id).unwrap().unwrap().status == "running" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let view = campaign_view(&store, store.campaign(id).unwrap().unwrap()).unwrap();
    let Some(CampaignResult::Drivers { outcomes, counts }) = &view.result else { panic!("driver outcomes") };
    assert_eq!(outcomes.len(), DRIVERS as usize + 1);
    for answer in DriverAnswer::ALL {
        let count = counts.iter().find(|c| c.outcome == answer).unwrap().count;
        let listed = outcomes.iter().filter(|o| o.outcome == answer).count() as u32;
        assert_eq!(count, listed, "{answer:?}");
        assert!(count > 0, "no driver came to {answer:?}: {counts:?}");
    }

    // A disputing driver's words, and the agent's lines either side.
    let disputed = outcomes.iter().find(|o| o.outcome == DriverAnswer::Disputed).unwrap();
    assert_eq!(disputed.comment.as_deref(), Some("disputes: cut off by another truck"));
    let transcript = store.transcript(disputed.call_id.unwrap()).unwrap();
    let said = transcript.iter().find(|l| l.text == "That wasn't me. The truck ahead cut me off.").unwrap();
    assert_eq!(disputed.line, Some(said.seq));
    let words: Vec<(Speaker, u32)> = disputed.words.iter().map(|l| (l.speaker, l.seq)).collect();
    assert_eq!(words, [(Speaker::Agent, said.seq - 1), (Speaker::Callee, said.seq), (Speaker::Agent, said.seq + 1)]);
    let asked = outcomes.iter().find(|o| o.outcome == DriverAnswer::AskedForDispatcher).unwrap();
    assert_eq!(asked.words[1].text, "I'm not getting into this with a machine. Have my dispatcher call me.");

    // Only a driver on the queue is resolved, and only with a note.
    let acknowledged = outcomes.iter().find(|o| o.outcome == DriverAnswer::Acknowledged).unwrap();
    let err = resolve_review(&store, id, acknowledged.contact_id, "fine").unwrap_err();
    assert_eq!(err.to_string(), format!("{} is not on the review queue: acknowledged", acknowledged.driver));
    let err = resolve_review(&store, id, disputed.contact_id, "  ").unwrap_err();
    assert_eq!(err.to_string(), "resolution note: say how it was resolved");
    resolve_review(&store, id, disputed.contact_id, "footage shows the cut-off; dismissed").unwrap();

    let view = campaign_view(&store, store.campaign(id).unwrap().unwrap()).unwrap();
    let result = view.result.unwrap();
    let CampaignResult::Drivers { outcomes, .. } = &result else { panic!("driver outcomes") };
    let resolved = outcomes.iter().find(|o| o.contact_id == disputed.contact_id).unwrap();
    assert_eq!(resolved.resolution.as_ref().unwrap().note, "footage shows the cut-off; dismissed");
    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let rows = read_table(&result.export(format).unwrap()).unwrap();
        assert_eq!(rows[0][..6], ["driver", "outcome", "reason", "comment", "driver's words", "review"]);
        let row = rows.iter().find(|r| r[0] == disputed.driver).unwrap();
        assert_eq!(row[1], "disputed");
        assert_eq!(row[3], "disputes: cut off by another truck");
        assert!(row[4].contains("driver: That wasn't me. The truck ahead cut me off."), "{row:?}");
        assert_eq!((row[5].as_str(), row[6].as_str()), ("resolved", "footage shows the cut-off; dismissed"));
        let asked_row = rows.iter().find(|r| r[0] == asked.driver).unwrap();
        assert_eq!((asked_row[1].as_str(), asked_row[5].as_str()), ("asked for the dispatcher", "to review"));
    }
    // The workbook counts each outcome on a sheet of its own.
    let counted = read_sheet(&result.export(ExportFormat::Xlsx).unwrap(), Some("Counts")).unwrap();
    let CampaignResult::Drivers { counts, .. } = &result else { panic!("driver outcomes") };
    let rows: Vec<Vec<String>> = counted.rows.into_iter().map(|row| row.cells).collect();
    assert_eq!(rows[0], ["outcome", "drivers"]);
    let expected: Vec<Vec<String>> = counts.iter().map(|c| vec![c.label.clone(), c.count.to_string()]).collect();
    assert_eq!(rows[1..], expected[..]);
    let text = String::from_utf8(result.export(ExportFormat::Text).unwrap()).unwrap();
    assert!(text.starts_with(&format!("{} drivers: ", DRIVERS + 1)), "{text}");
    assert!(text.contains("resolved: footage shows the cut-off; dismissed"), "{text}");
}
