//! Agents in the real window: a new agent from a preset, a copy of an agent, and absurd limits
//! refused beside their field; the cards show readable labels, never internal names.

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

#[tokio::test]
async fn agents_are_created_from_a_preset_and_copied() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-agents").await;
        let page = app.text("[data-testid=section-agents]").await;
        for internal in ["vendor-quote", "vendor-negotiation", "driver-violation"] {
            assert!(!page.contains(internal), "{internal:?} is shown: {page}");
        }
        assert!(page.contains("Vendor quote") && page.contains("Built-in simulator"), "{page}");

        // New from preset: the editor opens on the preset under a free name, and saves.
        let presets = app.wait_for("[data-testid=preset-select]").await;
        eventually("the presets listed", PATIENCE, || async {
            (app.texts("[data-testid=preset-select] option").await.len() == 4).then_some(())
        })
        .await;
        presets.select_by_label("Appointment reminder").await.unwrap();
        app.click("new-agent").await;
        let name = app.wait_for("[data-testid=agent-name]").await;
        assert_eq!(name.prop("value").await.unwrap().as_deref(), Some("Appointment reminder (copy)"));
        replace_text(&name, "Dentist reminder").await;
        app.click("agent-save").await;
        app.wait_for("[data-testid=agent-card][data-agent-name='Dentist reminder']").await;
        assert!(app.texts("[data-testid=agent-editor]").await.is_empty(), "the editor closes on save");

        // Copy: the copy starts as the agent, under a free name.
        let copy = "[data-testid=agent-card][data-agent-name='Vendor quote'] [data-testid=copy-agent]";
        app.wait_for(copy).await.click().await.unwrap();
        let name = app.wait_for("[data-testid=agent-name]").await;
        assert_eq!(name.prop("value").await.unwrap().as_deref(), Some("Vendor quote (copy)"));
        let first = app.wait_for("[data-testid=agent-first-message]").await.prop("value").await.unwrap();
        assert!(first.unwrap_or_default().contains("{{vendor_name}}"), "the copy keeps the first message");

        // Another backend needs its ids, and an added field its key and question: each refused
        // beside its input, all at once.
        let fields = app.attrs("[data-testid=agent-remove-field]", "aria-label").await.len();
        app.wait_for("[data-testid=agent-backend]").await.select_by_value("vapi").await.unwrap();
        app.click("agent-add-field").await;
        app.click("agent-save").await;
        assert_eq!(
            app.text("[data-testid='error-backendSettings.vapi.assistantId']").await,
            "the Vapi assistant id is required"
        );
        assert!(!app.text(&format!("[data-testid='error-dataFields.{fields}.key']")).await.is_empty());
        let removes = app.client.find_all(fantoccini::Locator::Css("[data-testid=agent-remove-field]")).await.unwrap();
        removes[fields].click().await.unwrap();
        app.wait_for("[data-testid=agent-backend]").await.select_by_value("simulator").await.unwrap();

        // An absurd call length is refused beside its field, and nothing is saved.
        let max = app.wait_for("[data-testid=agent-max-duration]").await;
        replace_text(&max, "99999999").await;
        app.click("agent-save").await;
        let error = app.text("[data-testid=error-maxDurationSecs]").await;
        assert_eq!(error, "the maximum call length must be 1 to 14400 seconds (4 hours)");
        replace_text(&max, "600").await;
        app.click("agent-save").await;
        app.wait_for("[data-testid=agent-card][data-agent-name='Vendor quote (copy)']").await;
        let names = app.attrs("[data-testid=agent-card]", "data-agent-name").await;
        assert_eq!(names.len(), 6, "four samples, a new one and a copy: {names:?}");
        app.screenshot("agents-copied").await;
        app.quit().await;
    })
    .await;
}
