//! A vendor quote run from the campaign builder to the ranked summary, in the real console.

use std::path::Path;
use std::time::Duration;

use switchboard_engine::tables::read_table;
use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};

#[tokio::test]
async fn a_vendor_quote_run_goes_from_the_builder_to_the_ranked_summary() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 60).await;
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-name]").await.send_keys("M8 bolts").await.unwrap();
        // Nothing picked: nothing to launch, and the builder says why.
        let launch = app.wait_for("[data-testid=campaign-launch]").await;
        assert!(!launch.is_enabled().await.unwrap(), "nothing to call");
        assert_eq!(app.text("[data-testid=campaign-launch-blocked]").await, "Pick the vendors to call.");
        app.click("campaign-pick-all").await;
        // The test may run at any hour: call now rather than wait for each vendor's window.
        app.click("campaign-ignore-windows").await;

        // The builder says, before launch, who will be skipped and why.
        let problems = app.text("[data-testid=campaign-problems]").await;
        assert!(problems.contains("Harbor Supply Co.") && problems.contains("not a valid phone number"), "{problems}");
        // The button counts the calls it will place: five picked, one skipped.
        eventually("the launch count", PATIENCE, || async {
            (app.text("[data-testid=campaign-launch]").await == "Launch 4 calls").then_some(())
        })
        .await;
        assert!(app.texts("[data-testid=campaign-launch-blocked]").await.is_empty());
        app.click("campaign-launch").await;

        app.wait_for("[data-testid=campaign-detail]").await;
        eventually("round 2 to start", Duration::from_secs(60), || async {
            (app.attrs("[data-testid=round-progress]", "data-round").await.len() == 2).then_some(())
        })
        .await;
        app.screenshot("campaign-running").await;
        eventually("the campaign to complete", Duration::from_secs(90), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;

        assert_eq!(app.text("[data-testid=summary-quotes]").await, "4 of 4");
        let recommendation = app.text("[data-testid=summary-recommendation]").await;
        assert!(recommendation.starts_with("Order from "), "{recommendation}");
        let rows = app.texts("[data-testid=summary-row]").await;
        assert_eq!(rows.len(), 4, "{rows:?}");
        let statuses = app.attrs("[data-testid=campaign-target]", "data-status").await;
        assert_eq!(statuses.iter().filter(|s| *s == "skipped").count(), 1, "Harbor is skipped: {statuses:?}");
        app.screenshot("campaign-summary").await;
        // "Quotes across rounds" draws every round's price of every vendor, as the offers hold them.
        let show_chart = "document.querySelector('[data-testid=quote-chart]').scrollIntoView({ block: 'center' })";
        app.client.execute(show_chart, vec![]).await.expect("the chart scrolls into view");
        app.screenshot("quotes-across-rounds").await;
        let bars: Vec<(String, String, String)> = {
            let vendors = app.attrs("[data-testid=quote-bar]", "data-vendor").await;
            let rounds = app.attrs("[data-testid=quote-bar]", "data-round").await;
            let prices = app.attrs("[data-testid=quote-bar]", "data-price").await;
            vendors.into_iter().zip(rounds).zip(prices).map(|((v, r), p)| (v, r, p)).collect()
        };

        // An export that cannot be written says what failed and where; one that can is written.
        app.click("export-summary").await;
        app.answer_save_dialog(Path::new("/sys/summary.csv")).await;
        let banner = app.text("[data-testid=error-banner]").await;
        assert!(banner.starts_with("Exporting the summary of M8 bolts: cannot write /sys/summary.csv:"), "{banner}");
        app.click("error-dismiss").await;
        let written = data.path().join("m8-summary.csv");
        app.click("export-summary").await;
        app.answer_save_dialog(&written).await;
        let notice = app.text("[data-testid=campaign-notice]").await;
        assert_eq!(notice, format!("Summary written to {}", written.display()));
        let csv = std::fs::read_to_string(&written).unwrap();
        assert_eq!(csv.lines().count(), 5, "a header and the four quotes: {csv}");
        let workbook = data.path().join("m8-summary.xlsx");
        app.click("export-summary").await;
        app.answer_save_dialog(&workbook).await;
        eventually("the workbook's notice", PATIENCE, || async {
            let notice = app.text("[data-testid=campaign-notice]").await;
            (notice == format!("Summary written to {}", workbook.display())).then_some(())
        })
        .await;

        // History names the campaign, and says how a call ended once.
        app.click("nav-history").await;
        app.click("history-row").await;
        assert_eq!(app.text("[data-testid=history-campaign-name]").await, "M8 bolts");
        let header = app.text("[data-testid=call-view] header").await;
        assert_eq!(header.matches("Ended").count(), 1, "{header}");
        assert!(!header.contains("campaign 1"), "{header}");

        app.click("nav-offers").await;
        let offers = eventually("the summary in Offers", PATIENCE, || async {
            let rows = app.texts("[data-testid=quote-summary] [data-testid=summary-row]").await;
            (rows.len() == 4).then_some(rows)
        })
        .await;
        assert!(offers[0].starts_with('1'), "{offers:?}");
        app.quit().await;

        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        let id = store.list_campaigns().unwrap()[0].id;
        let mut priced: Vec<(String, String, String)> = store
            .campaign_offers(id)
            .unwrap()
            .into_iter()
            .filter_map(|(round, vendor, offer)| Some((vendor, round.to_string(), offer.unit_price?.to_string())))
            .collect();
        priced.sort();
        let mut drawn = bars.clone();
        drawn.sort();
        assert_eq!(drawn, priced, "the chart has a bar for every priced offer in the database");
        assert!(priced.iter().any(|(_, round, _)| round == "2"), "the campaign negotiated: {priced:?}");

        // The .xlsx summary holds the same table the CSV does.
        let xlsx = std::fs::read(&workbook).unwrap();
        assert!(xlsx.starts_with(b"PK\x03\x04"), "a real workbook, not CSV text");
        assert_eq!(read_table(&xlsx).unwrap(), read_table(csv.as_bytes()).unwrap());
    })
    .await;
}
