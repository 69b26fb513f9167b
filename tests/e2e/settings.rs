//! Settings in the real window, each section with a valid and an invalid save: the webhook
//! listener saves all or nothing and then shows what is stored, the phone region and History's
//! limits, and the theme (light or dark, kept for the next start).

use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

#[tokio::test]
async fn each_settings_section_saves_whole_or_not_at_all() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-settings").await;
        let local = app.text("[data-testid=listener-local]").await;

        // An invalid calling number: nothing is written, not even the valid public URL beside it.
        replace_text(&app.wait_for("[data-testid=listener-public-url]").await, "https://switchboard.example.org").await;
        replace_text(&app.wait_for("[data-testid=twilio-from-number]").await, "312-555-0100").await;
        app.click("listener-save").await;
        assert_eq!(
            app.text("[data-testid=error-twilioFromNumber]").await,
            "the calling number is written in E.164, like +13125550100"
        );
        assert_eq!(app.text("[data-testid=listener-message]").await, "Nothing was saved: fix the fields marked.");
        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        assert_eq!(store.setting("public_base_url").unwrap(), None, "the public URL was not written");
        assert_eq!(app.text("[data-testid=listener-local]").await, local, "the page still shows what is stored");

        // Valid: all of it is stored, and the page shows it from the backend.
        replace_text(&app.wait_for("[data-testid=twilio-from-number]").await, "+13125550100").await;
        app.click("listener-save").await;
        eventually("the stored public URL shown", PATIENCE, || async {
            app.text("[data-testid=listener-local]").await.contains("https://switchboard.example.org").then_some(())
        })
        .await;
        assert!(app.texts("[data-testid=error-twilioFromNumber]").await.is_empty());
        assert_eq!(store.setting("public_base_url").unwrap().as_deref(), Some("https://switchboard.example.org"));
        assert_eq!(store.setting("twilio_from_number").unwrap().as_deref(), Some("+13125550100"));

        // The phone region: an unknown code is refused by name, a known one applies.
        let region = app.wait_for("[data-testid=default-region]").await;
        replace_text(&region, "ZZ").await;
        app.click("region-save").await;
        assert_eq!(
            app.text("[data-testid=region-message]").await,
            "\"ZZ\" is not a two-letter country code such as US or GB"
        );
        replace_text(&region, "gb").await;
        app.click("region-save").await;
        eventually("the region saved", PATIENCE, || async {
            (app.text("[data-testid=region-message]").await == "Numbers without a country code are read as GB numbers.")
                .then_some(())
        })
        .await;

        // History's limits: both problems named at once, and nothing saved.
        replace_text(&app.wait_for("[data-testid=memory-calls]").await, "99").await;
        replace_text(&app.wait_for("[data-testid=retention-days]").await, "0").await;
        app.click("history-settings-save").await;
        assert_eq!(
            app.text("[data-testid=history-settings-message]").await,
            "Nothing was saved: at most 20 past calls; keep recordings at least 1 day."
        );
        assert_eq!(store.setting("memory_calls").unwrap(), None);
        replace_text(&app.wait_for("[data-testid=memory-calls]").await, "5").await;
        replace_text(&app.wait_for("[data-testid=retention-days]").await, "30").await;
        app.click("history-settings-save").await;
        eventually("History's limits saved", PATIENCE, || async {
            (app.text("[data-testid=history-settings-message]").await == "Saved.").then_some(())
        })
        .await;

        // The speakers recordings play on: a device to choose, or the reason there is none.
        match app.texts("[data-testid=audio-device]").await.len() {
            0 => assert!(!app.text("[data-testid=audio-device-problem]").await.is_empty()),
            _ => app.wait_for("[data-testid=audio-device]").await.select_by_value("").await.unwrap(),
        }

        // The theme: chosen here, shown at once, kept for the next start.
        let select = app.wait_for("[data-testid=theme-select]").await;
        select.select_by_value("dark").await.unwrap();
        eventually("the dark theme", PATIENCE, || async { (theme(&app).await == "dark").then_some(()) }).await;
        let dark_background = background(&app).await;
        select.select_by_value("light").await.unwrap();
        eventually("the light theme", PATIENCE, || async { (theme(&app).await == "light").then_some(()) }).await;
        let light_background = background(&app).await;
        assert_ne!(light_background, dark_background);
        app.quit().await;

        let app = App::start(data.path(), 1).await;
        eventually("the light theme after a restart", PATIENCE, || async {
            (theme(&app).await == "light").then_some(())
        })
        .await;
        app.click("nav-settings").await;
        let stored = eventually("the stored settings shown", PATIENCE, || async {
            let number = app.wait_for("[data-testid=twilio-from-number]").await.prop("value").await.unwrap();
            (number.as_deref() == Some("+13125550100")).then_some(())
        });
        stored.await;
        let url = app.wait_for("[data-testid=listener-public-url]").await.prop("value").await.unwrap();
        assert_eq!(url.as_deref(), Some("https://switchboard.example.org"));
        app.wait_for("[data-testid=theme-select]").await.select_by_value("dark").await.unwrap();
        eventually("the dark theme", PATIENCE, || async { (theme(&app).await == "dark").then_some(()) }).await;
        assert_eq!(background(&app).await, dark_background);
        app.quit().await;
    })
    .await;
}

/// The theme the window shows ("light" or "dark").
async fn theme(app: &App) -> String {
    let shown = app.client.execute("return document.documentElement.dataset.theme ?? '';", vec![]).await.unwrap();
    shown.as_str().unwrap_or_default().to_owned()
}

/// The page's background colour, as the browser computed it.
async fn background(app: &App) -> String {
    let script = "return getComputedStyle(document.documentElement).backgroundColor;";
    app.client.execute(script, vec![]).await.unwrap().as_str().unwrap_or_default().to_owned()
}
