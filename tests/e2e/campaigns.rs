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
        app.fill_request("M8 bolts", 10000).await;

        // The builder says, before launch, who will be skipped and why.
        let problems = app.text("[data-testid=campaign-problems]").await;
        assert!(problems.contains("Harbor Supply Co.") && problems.contains("not a valid phone number"), "{problems}");
        // The button counts the calls it will place: five picked, one skipped.
        eventually("the launch count", PATIENCE, || async {
            (app.text("[data-testid=campaign-launch]").await == "Launch 4 calls").then_some(())
        })
        .await;
        assert!(app.texts("[data-testid=campaign-launch-blocked]").await.is_empty());
        app.launch_campaign().await;

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
        app.save_as("export-summary", Path::new("/sys/summary.csv")).await;
        let banner = app.text("[data-testid=error-banner]").await;
        assert!(banner.starts_with("Exporting the summary of M8 bolts: cannot write /sys/summary.csv:"), "{banner}");
        app.click("error-dismiss").await;
        let written = data.path().join("m8-summary.csv");
        app.save_as("export-summary", &written).await;
        let notice = app.text("[data-testid=campaign-notice]").await;
        assert_eq!(notice, format!("Summary written to {}", written.display()));
        let csv = std::fs::read_to_string(&written).unwrap();
        assert_eq!(csv.lines().count(), 5, "a header and the four quotes: {csv}");
        let workbook = data.path().join("m8-summary.xlsx");
        app.save_as("export-summary", &workbook).await;
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

/// Builds and launches a quote campaign named `name` over every vendor, `concurrency` at once,
/// at any hour; waits until two of its calls are answered.
async fn launch_and_wait_for_two_answered(app: &App, name: &str, concurrency: u32) {
    app.click("nav-campaigns").await;
    app.click("new-campaign").await;
    app.wait_for("[data-testid=campaign-name]").await.send_keys(name).await.unwrap();
    let calls_at_once = app.wait_for("[data-testid=campaign-concurrency]").await;
    crate::app::replace_text(&calls_at_once, &concurrency.to_string()).await;
    app.click("campaign-pick-all").await;
    app.click("campaign-ignore-windows").await;
    app.fill_request("M8 bolts", 10000).await;
    app.launch_campaign().await;
    app.wait_for("[data-testid=campaign-detail]").await;
    eventually("two calls answered", Duration::from_secs(60), || async {
        let states = app.texts("[data-testid=campaign-call] .state").await;
        (states.iter().filter(|s| *s == "in progress").count() == 2).then_some(())
    })
    .await;
}

/// (contact, status, outcome) of every target the campaign detail lists.
async fn targets(app: &App) -> Vec<(String, String, String)> {
    let names = app.attrs("[data-testid=campaign-target]", "data-contact-name").await;
    let statuses = app.attrs("[data-testid=campaign-target]", "data-status").await;
    let outcomes = app.texts("[data-testid=campaign-target] td:last-child").await;
    names.into_iter().zip(statuses).zip(outcomes).map(|((n, s), o)| (n, s, o)).collect()
}

#[tokio::test]
async fn cancel_asks_then_ends_the_calls_on_the_line_or_lets_them_finish() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 4).await;

        // End the calls on the line now: they end "ended by the dispatcher"; every target says canceled.
        launch_and_wait_for_two_answered(&app, "End now", 2).await;
        // Pause and resume on the way: the status follows.
        for (button, status) in [("campaign-pause", "paused"), ("campaign-resume", "running")] {
            app.click(button).await;
            eventually(status, PATIENCE, || async {
                (app.text("[data-testid=campaign-detail-status]").await == status).then_some(())
            })
            .await;
        }
        app.click("campaign-cancel").await;
        let dialog = app.text("[data-testid=cancel-dialog]").await;
        assert!(dialog.contains("Cancel End now? Contacts not called yet will not be called."), "{dialog}");
        assert!(dialog.contains("2 calls are on the line now."), "{dialog}");
        // Thinking better of it changes nothing.
        app.click("cancel-keep").await;
        assert!(app.texts("[data-testid=cancel-dialog]").await.is_empty());
        assert_eq!(app.text("[data-testid=campaign-detail-status]").await, "running");
        app.click("campaign-cancel").await;
        app.click("cancel-end-calls").await;
        assert_eq!(app.text("[data-testid=campaign-notice]").await, "Canceled: 2 calls on the line ended.");
        let ended = eventually("every target to say how it ended", PATIENCE, || async {
            let targets = targets(&app).await;
            targets.iter().all(|(_, status, _)| status == "canceled" || status == "skipped").then_some(targets)
        })
        .await;
        assert_eq!(ended.iter().filter(|(_, _, outcome)| outcome == "ended by the dispatcher").count(), 2, "{ended:?}");
        // The vendors not called yet (Harbor Supply Co. too, unless the runner reached it first
        // and skipped its bad number).
        assert!(ended.iter().filter(|(_, _, outcome)| outcome == "canceled").count() >= 2, "{ended:?}");
        assert_eq!(app.text("[data-testid=campaign-detail-status]").await, "canceled");
        let states = app.texts("[data-testid=campaign-call] .state").await;
        assert_eq!(states, ["canceled", "canceled"], "no call started after the cancel");
        app.screenshot("campaign-canceled").await;

        // Let them finish: the calls on the line complete; the rest say canceled, never pending.
        launch_and_wait_for_two_answered(&app, "Let finish", 2).await;
        app.click("campaign-cancel").await;
        app.click("cancel-let-finish").await;
        assert_eq!(app.text("[data-testid=campaign-notice]").await, "Canceled: the calls on the line will finish.");
        let left = app.text("[data-testid=cancel-left]").await;
        assert_eq!(left.matches("left to finish, as asked").count(), 2, "{left}");
        let waiting = targets(&app).await;
        assert!(waiting.iter().all(|(_, status, _)| status != "pending"), "none pending once canceled: {waiting:?}");
        let finished = eventually("the calls on the line to finish", Duration::from_secs(90), || async {
            let targets = targets(&app).await;
            targets.iter().all(|(_, status, _)| status != "calling").then_some(targets)
        })
        .await;
        assert_eq!(finished.iter().filter(|(_, status, _)| status == "done").count(), 2, "{finished:?}");
        let rest: Vec<_> = finished.iter().filter(|(_, status, _)| status != "done").collect();
        assert!(rest.len() == 3 && rest.iter().all(|(_, s, _)| s == "canceled" || s == "skipped"), "{finished:?}");
        let states = app.texts("[data-testid=campaign-call] .state").await;
        assert_eq!(states, ["completed", "completed"]);
        app.assert_no_page_errors("canceling both ways").await;
        app.quit().await;

        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        let campaigns = store.list_campaigns().unwrap();
        let (let_finish, end_now) = (&campaigns[0], &campaigns[1]);
        for call in store.calls_in_campaign(end_now.id).unwrap() {
            assert_eq!(
                (call.state.as_str(), call.end_reason.as_deref()),
                ("canceled", Some("ended by the dispatcher"))
            );
        }
        for call in store.calls_in_campaign(let_finish.id).unwrap() {
            assert_eq!(call.state.as_str(), "completed");
        }
    })
    .await;
}

#[tokio::test]
async fn a_driver_batch_is_paused_resumed_opened_and_exported() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 4).await;
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-kind]").await.select_by_value("driver-violation").await.unwrap();
        app.wait_for("[data-testid=campaign-name]").await.send_keys("Week 48 drivers").await.unwrap();
        app.click("campaign-pick-all").await;
        app.click("campaign-ignore-windows").await;
        eventually("the launch count", PATIENCE, || async {
            (app.text("[data-testid=campaign-launch]").await == "Launch 2 calls").then_some(())
        })
        .await;
        // Absurd limits are refused beside their inputs, and nothing is launched.
        let at_once = app.wait_for("[data-testid=campaign-concurrency]").await;
        crate::app::replace_text(&at_once, "99999").await;
        crate::app::replace_text(&app.wait_for("[data-testid=campaign-attempts]").await, "0").await;
        app.launch_campaign().await;
        assert_eq!(app.text("[data-testid=campaign-error-concurrency]").await, "calls at once: 1 to 200");
        assert_eq!(app.text("[data-testid=campaign-error-maxAttempts]").await, "attempts per contact: 1 to 10");
        assert!(app.texts("[data-testid=campaign-row]").await.is_empty(), "nothing launched");
        crate::app::replace_text(&at_once, "5").await;
        crate::app::replace_text(&app.wait_for("[data-testid=campaign-attempts]").await, "2").await;
        app.launch_campaign().await;
        app.wait_for("[data-testid=campaign-detail]").await;
        assert!(app.text("[data-testid=campaign-meta]").await.starts_with("Driver violation batch · round 1"));

        // Paused and resumed while its calls are on the line.
        app.click("campaign-pause").await;
        eventually("the campaign paused", PATIENCE, || async {
            (app.text("[data-testid=campaign-detail-status]").await == "paused").then_some(())
        })
        .await;
        app.click("campaign-resume").await;
        eventually("the campaign running again", PATIENCE, || async {
            (app.text("[data-testid=campaign-detail-status]").await == "running").then_some(())
        })
        .await;

        // One of its calls opens in Live.
        let call = app.wait_for("[data-testid=campaign-call]").await;
        let cell = call.find(fantoccini::Locator::Css("td")).await.unwrap();
        let driver = cell.text().await.unwrap();
        cell.click().await.unwrap();
        app.wait_for("[data-testid=section-live]").await;
        assert!(app.text(".call-detail h2").await.starts_with(&driver), "{driver}");

        app.click("nav-campaigns").await;
        eventually("the batch to complete", Duration::from_secs(120), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;
        assert_eq!(app.texts("[data-testid=driver-outcomes] tbody tr").await.len(), 2);

        // Every call, exported as JSON to the file chosen.
        let file = data.path().join("week-48.json");
        app.save_as("export-calls-json", &file).await;
        assert_eq!(app.text("[data-testid=campaign-notice]").await, format!("Saved {}", file.display()));
        let exported: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let text = exported.to_string();
        assert!(text.contains("Maria Lopez") && text.contains("Ken Ito"), "{text}");
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_campaign_stopped_in_error_shows_why_in_its_detail() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        {
            let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
            let spec = switchboard_engine::campaigns::CampaignSpec {
                name: "M8 bolts".into(),
                kind: switchboard_engine::campaigns::CampaignKind::VendorQuote,
                agent_id: switchboard_core::AgentId(1),
                negotiation_agent_id: None,
                contacts: vec![],
                concurrency: 1,
                max_attempts: 1,
                retry_spacing_ms: 0,
                ignore_calling_windows: true,
                budget_usd: None,
                request: None,
            };
            let json = serde_json::to_string(&spec).unwrap();
            let id = store.insert_campaign("M8 bolts", "vendor-quote", &json, &[], switchboard_engine::now()).unwrap();
            store.fail_campaign(id, "database error: CHECK constraint failed: status").unwrap();
        }
        let app = App::start(data.path(), 60).await;
        app.click("nav-campaigns").await;
        app.wait_for("[data-testid=campaign-detail]").await;
        assert_eq!(app.text("[data-testid=campaign-detail-status]").await, "error");
        assert_eq!(
            app.text("[data-testid=campaign-error]").await,
            "Stopped: database error: CHECK constraint failed: status"
        );
    })
    .await;
}

#[tokio::test]
async fn a_database_locked_by_another_program_pauses_campaigns_and_the_window_says_why() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let database = data.path().join("switchboard.sqlite3");
        // Slow enough that calls are still talking while the lock is held.
        let app = App::start(data.path(), 10).await;
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-name]").await.send_keys("Locked out").await.unwrap();
        app.click("campaign-pick-all").await;
        app.click("campaign-ignore-windows").await;
        app.fill_request("M8 bolts", 10000).await;
        app.launch_campaign().await;
        app.wait_for("[data-testid=campaign-detail]").await;

        // Another program takes the write lock past the store's 5 s busy timeout.
        let other = rusqlite::Connection::open(&database).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let banner = eventually("the window to say writes fail", Duration::from_secs(30), || async {
            app.texts("[data-testid=store-writes-failing]").await.into_iter().next()
        })
        .await;
        let expected = format!("cannot write to {}: the database is locked by another program", database.display());
        assert!(banner.starts_with(&expected), "{banner}");
        app.screenshot("store-writes-failing").await;
        // A window opened while writes fail asks for the state: no event says it again.
        app.reload().await;
        let banner = eventually("the reloaded window to say writes fail", Duration::from_secs(30), || async {
            app.texts("[data-testid=store-writes-failing]").await.into_iter().next()
        })
        .await;
        assert!(banner.starts_with(&expected), "{banner}");
        app.click("nav-campaigns").await;
        app.wait_for("[data-testid=store-writes-failing]").await;
        other.execute_batch("COMMIT").unwrap();
        eventually("the banner to go once writes work", Duration::from_secs(30), || async {
            app.texts("[data-testid=store-writes-failing]").await.is_empty().then_some(())
        })
        .await;
        eventually("the campaign to go on to its end", Duration::from_secs(120), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;
    })
    .await;
}
