//! What calls cost, in the real window: the rates in Settings (saved whole or not at all), a
//! simulator campaign that stops at its budget ("paused: budget reached") and goes on to the end
//! with a higher one, and a call's cost item by item in History.

use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

#[tokio::test]
async fn a_campaign_stops_at_its_budget_and_a_higher_one_takes_it_to_the_end() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 60).await;

        // Rates: a bad one is named beside its input and nothing is saved.
        app.click("nav-settings").await;
        replace_text(&app.wait_for("[data-testid=rate-twilioMinute]").await, "0.05").await;
        replace_text(&app.wait_for("[data-testid=rate-deepgramMinute]").await, "-1").await;
        app.click("cost-settings-save").await;
        assert_eq!(app.text("[data-testid=rate-deepgramMinute-problem]").await, "a price from 0 to 1000 dollars");
        assert_eq!(app.text("[data-testid=cost-settings-message]").await, "Nothing was saved: fix the fields marked.");
        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        assert_eq!(store.setting("cost_rates").unwrap(), None, "not even the valid rate beside it");
        // Only Twilio's minutes cost anything: each sample vendor's call (one to two simulated
        // minutes) costs 2 × $0.05 = $0.10 on the simulator, priced as the voice pipeline.
        for rate in ["deepgramMinute", "anthropicInputMtok", "anthropicOutputMtok", "elevenlabsTts1kChars"] {
            replace_text(&app.wait_for(&format!("[data-testid=rate-{rate}]")).await, "0").await;
        }
        app.click("cost-settings-save").await;
        eventually("the rates saved", PATIENCE, || async {
            app.text("[data-testid=cost-settings-message]").await.starts_with("Saved.").then_some(())
        })
        .await;

        // One call at a time under a $0.15 budget: a call starts only while what was spent
        // stays below it (a sample call of one to two simulated minutes costs $0.05 to $0.10;
        // more when a loaded machine stretches it), so the campaign pauses after the call that
        // reached it.
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-name]").await.send_keys("M8 on a budget").await.unwrap();
        app.click("campaign-pick-all").await;
        app.click("campaign-ignore-windows").await;
        app.fill_request("M8 bolts", 10000).await;
        replace_text(&app.wait_for("[data-testid=campaign-concurrency]").await, "1").await;
        replace_text(&app.wait_for("[data-testid=campaign-budget]").await, "0.15").await;
        eventually("the launch count", PATIENCE, || async {
            (app.text("[data-testid=campaign-launch]").await == "Launch 4 calls").then_some(())
        })
        .await;
        app.launch_campaign().await;
        eventually("the budget to stop the campaign", std::time::Duration::from_secs(60), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "paused: budget reached").then_some(())
        })
        .await;
        app.wait_for("[data-testid=budget-reached]").await;
        let prices = eventually("the calls on the line to finish", PATIENCE, || async {
            let calls = store.list_calls(100).unwrap();
            let priced = calls.iter().rev().map(|call| store.call_price(call.id).unwrap().map(|price| price.total_usd));
            priced.collect::<Option<Vec<f64>>>()
        })
        .await;
        let spent: f64 = prices.iter().sum();
        assert!(spent >= 0.15, "paused only once the spending reached the budget: {prices:?}");
        assert!(spent - prices.last().unwrap() < 0.15, "the last call started below the budget: {prices:?}");
        assert!(prices.len() < 4, "no call started past the budget: {prices:?}");
        let spent_shown = format!("${spent:.4}");
        eventually("the spending shown", PATIENCE, || async {
            (app.text("[data-testid=campaign-spent]").await == spent_shown).then_some(())
        })
        .await;
        assert_eq!(app.text("[data-testid=campaign-budget]").await, "$0.1500");
        app.screenshot("campaign-budget-reached").await;

        // A budget not above what was spent is refused and says why; a higher one goes on.
        replace_text(&app.wait_for("[data-testid=new-budget]").await, &format!("{spent:.4}")).await;
        app.click("raise-budget").await;
        let banner = app.text("[data-testid=error-banner]").await;
        assert!(banner.contains(&format!("not above the {spent_shown}")), "{banner}");
        app.click("error-dismiss").await;
        replace_text(&app.wait_for("[data-testid=new-budget]").await, "5").await;
        app.click("raise-budget").await;
        eventually("the campaign to complete", std::time::Duration::from_secs(120), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;
        assert_eq!(app.text("[data-testid=campaign-budget]").await, "$5.0000");
        assert!(store.list_calls(100).unwrap().len() >= 4, "every vendor called once the budget allowed");

        // History: the first call's cost, item by item, marked as an estimate.
        app.click("nav-history").await;
        app.click("history-row").await;
        eventually("the call's cost", PATIENCE, || async {
            app.texts("[data-testid=call-cost-total]").await.first().filter(|t| t.ends_with("(estimate)")).cloned()
        })
        .await;
        let items = app.texts("[data-testid=call-cost-item]").await;
        let minutes = items.iter().find(|item| item.starts_with("Twilio minutes")).expect("Twilio's minutes");
        assert!(minutes.contains("min × $0.05"), "{items:?}");
        assert!(items.iter().any(|item| item.starts_with("Deepgram audio")), "{items:?}");
        app.screenshot("history-call-cost").await;
    })
    .await;
}
