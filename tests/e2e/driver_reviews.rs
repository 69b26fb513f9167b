//! A driver batch on the realistic cast: counts per outcome, a disputing driver's call opened
//! at their line from the review queue, resolved with a note that survives a restart and is in
//! the exported summary.

use std::path::Path;
use std::time::Duration;

use switchboard_core::{UnixMillis, parse_phone};
use switchboard_engine::tables::read_table;
use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};

/// Drivers added to the samples: the seeded cast gives them every kind of answer.
const DRIVERS: u32 = 20;
const NOTE: &str = "Dashcam shows the cut-off; event dismissed";

/// A new profile with the shipped samples and [`DRIVERS`] more drivers like Maria Lopez.
fn profile_with_drivers(data: &Path) {
    let store = Store::open(&data.join("switchboard.sqlite3")).unwrap();
    assert!(switchboard_engine::sample::seed_shipped(&store).unwrap());
    let maria = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Maria Lopez").unwrap();
    for n in 0..DRIVERS {
        let mut fields = maria.fields.clone();
        fields.name = format!("Driver {n:02}");
        fields.phone = format!("+1312555{:04}", 2000 + n);
        let phone = parse_phone(&fields.phone, "US").unwrap();
        store.insert_contact(&fields, Some(&phone), UnixMillis(1)).unwrap();
    }
}

/// The realistic cast: some drivers dispute, some are busy or have voicemail.
async fn start(data: &Path) -> App {
    App::start_with_env(data, 20, &[("SWITCHBOARD_SIM_CAST", Path::new("realistic"))]).await
}

#[tokio::test]
async fn a_disputed_driver_is_opened_at_their_line_resolved_and_stays_resolved_after_a_restart() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        profile_with_drivers(data.path());
        let app = start(data.path()).await;
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-kind]").await.select_by_value("driver-violation").await.unwrap();
        app.wait_for("[data-testid=campaign-name]").await.send_keys("Week 49 drivers").await.unwrap();
        app.click("campaign-pick-all").await;
        app.click("campaign-ignore-windows").await;
        crate::app::replace_text(&app.wait_for("[data-testid=campaign-concurrency]").await, "10").await;
        crate::app::replace_text(&app.wait_for("[data-testid=campaign-attempts]").await, "1").await;
        app.launch_campaign().await;
        app.wait_for("[data-testid=campaign-detail]").await;
        eventually("the batch to complete", Duration::from_secs(150), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;

        // Each outcome's count is the number of drivers listed with it, and they add up.
        let outcomes = app.attrs("[data-testid=driver-outcome]", "data-outcome").await;
        assert_eq!(outcomes.len(), DRIVERS as usize + 2, "the samples and the added drivers");
        let counted = app.attrs("[data-testid=driver-count]", "data-outcome").await;
        let counts = app.texts("[data-testid=driver-count]").await;
        assert_eq!(counted.len(), 9, "every outcome: {counts:?}");
        for (outcome, text) in counted.iter().zip(&counts) {
            let listed = outcomes.iter().filter(|o| *o == outcome).count();
            assert!(text.ends_with(&format!(": {listed}")), "{outcome}: {text}");
        }
        for answered in ["acknowledged", "disputed"] {
            assert!(outcomes.iter().any(|o| o == answered), "{answered}: {outcomes:?}");
        }
        let disputed = outcomes.iter().filter(|o| *o == "disputed").count();
        assert!(counts.contains(&format!("disputed: {disputed}")), "{counts:?}");
        app.screenshot("driver-review-queue").await;

        // The first disputing driver's call opens in History at what they said.
        let item = "[data-testid=review-item][data-outcome=disputed]";
        let driver = app.attrs(item, "data-driver").await.remove(0);
        let words = app.text(&format!("{item} td:nth-child(3)")).await;
        assert!(words.starts_with("“That wasn't me. The truck ahead cut me off.”"), "{words}");
        assert!(words.contains("noted: disputes: cut off by another truck"), "{words}");
        app.click_in(item, "review-open-call").await;
        app.wait_for("[data-testid=section-history]").await;
        assert!(app.text("[data-testid=call-view] h2").await.starts_with(&driver), "{driver}");
        let focused = app.text("[data-testid=history-line].focused").await;
        assert!(focused.ends_with("That wasn't me. The truck ahead cut me off."), "{focused}");
        eventually("the line scrolled into view", PATIENCE, || async {
            app.in_view("[data-testid=history-line].focused").await.then_some(())
        })
        .await;

        // Back in the batch: a resolution needs a note, then it is resolved with it.
        app.click("nav-campaigns").await;
        let mine = format!("[data-testid=review-item][data-driver='{driver}']");
        app.click_in(&mine, "review-resolve").await;
        assert_eq!(
            app.text("[data-testid=error-message]").await,
            format!("Resolving {driver}: resolution note: say how it was resolved")
        );
        assert_eq!(app.attrs(&mine, "data-resolved").await, ["false"]);
        app.wait_for(&format!("{mine} [data-testid=review-note]")).await.send_keys(NOTE).await.unwrap();
        app.click_in(&mine, "review-resolve").await;
        assert_eq!(app.text(&format!("{mine} [data-testid=review-resolution]")).await, format!("Resolved: {NOTE}"));
        app.quit().await;

        // Restarted, the driver is still resolved with the note, and the export says so.
        let app = start(data.path()).await;
        app.click("nav-campaigns").await;
        app.wait_for("[data-testid=campaign-detail]").await;
        assert_eq!(app.attrs(&mine, "data-resolved").await, ["true"]);
        assert_eq!(app.text(&format!("{mine} [data-testid=review-resolution]")).await, format!("Resolved: {NOTE}"));
        let file = data.path().join("week-49.csv");
        app.save_as("export-summary", &file).await;
        eventually("the summary written", PATIENCE, || async { file.exists().then_some(()) }).await;
        let rows = read_table(&std::fs::read(&file).unwrap()).unwrap();
        let row = rows.iter().find(|r| r[0] == driver).unwrap();
        assert_eq!((row[1].as_str(), row[3].as_str()), ("disputed", "disputes: cut off by another truck"));
        assert!(row[4].contains("driver: That wasn't me. The truck ahead cut me off."), "{row:?}");
        assert_eq!(row[5..7], ["resolved", NOTE]);
        app.quit().await;
    })
    .await;
}
