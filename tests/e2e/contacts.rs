//! Contacts in the real window: a new vendor refused until it is whole, then saved, edited,
//! called, opened in History, exported with the others, and forgotten with everything about them.

use fantoccini::Locator;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

const ROW: &str = "[data-testid=contact-row][data-contact-name='Delta Rivets']";

#[tokio::test]
async fn a_contact_is_created_edited_and_forgotten() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 20).await;
        app.click("nav-contacts").await;
        let before = app.attrs("[data-testid=contact-row]", "data-contact-name").await.len();

        // New, with a number that cannot be dialled: refused beside the field, nothing saved.
        app.click("new-vendor").await;
        app.wait_for("[data-testid=contact-name]").await.send_keys("Delta Rivets").await.unwrap();
        app.wait_for("[data-testid=contact-phone]").await.send_keys("555-01").await.unwrap();
        app.wait_for("[data-testid=contact-email]").await.send_keys("sales at delta").await.unwrap();
        app.click("contact-save").await;
        let error = app.text("[data-testid=error-phone]").await;
        assert!(error.contains("555-01") || error.contains("number"), "{error}");
        // Every problem at once, each beside its field.
        assert_eq!(app.text("[data-testid='error-details.email']").await, "\"sales at delta\" is not an email address");
        assert!(app.texts(ROW).await.is_empty(), "nothing saved");

        // Whole: saved and listed.
        replace_text(&app.wait_for("[data-testid=contact-phone]").await, "(414) 555-0199").await;
        replace_text(&app.wait_for("[data-testid=contact-email]").await, "sales@delta.example").await;
        app.click("contact-save").await;
        app.wait_for(ROW).await;

        // Edited: the new number is listed, and a call goes to it.
        app.wait_for(&format!("{ROW} [data-testid=contact-open]")).await.click().await.unwrap();
        replace_text(&app.wait_for("[data-testid=contact-phone]").await, "(414) 555-0198").await;
        app.click("contact-save").await;
        eventually("the new number listed", PATIENCE, || async {
            let dials = app.attrs(&format!("{ROW} span[title]"), "title").await;
            (dials == ["dials +14145550198"]).then_some(())
        })
        .await;
        // (Searched for first: in the middle of the list, the row may be scrolled out of view.)
        app.wait_for("[data-testid=contact-search]").await.send_keys("Delta").await.unwrap();
        app.wait_for(&format!("{ROW} [data-testid=call-button]")).await.click().await.unwrap();
        // A quote call says what to quote: refused without an item, placed once it has one.
        app.wait_for("[data-testid=quote-call]").await;
        app.click("quote-call-confirm").await;
        let refused = app.text("[data-testid=error-banner]").await;
        assert!(refused.contains("request.item: say what to quote (the item)"), "{refused}");
        assert_eq!(app.text("[data-testid='campaign-error-request.item']").await, "say what to quote (the item)");
        app.wait_for("[data-testid=request-item]").await.send_keys("steel rivets").await.unwrap();
        replace_text(&app.wait_for("[data-testid=request-quantity]").await, "500").await;
        app.click("quote-call-confirm").await;
        app.until_call_completed().await;
        let opening = app.texts("[data-testid=transcript-line]").await;
        assert!(opening.iter().any(|line| line.contains("500 units of steel rivets")), "{opening:?}");
        let called = app.text(".call-detail h2").await;
        assert!(called.contains("Delta Rivets") && called.contains("+14145550198"), "{called}");

        // Its calls are a click away in History.
        app.click("nav-contacts").await;
        app.wait_for(&format!("{ROW} [data-testid=contact-open]")).await.click().await.unwrap();
        app.click("contact-history").await;
        assert!(app.text("[data-testid=history-contact]").await.contains("Delta Rivets"));
        eventually("the contact's call in History", PATIENCE, || async {
            (app.text("[data-testid=history-count]").await == "1 call").then_some(())
        })
        .await;

        // Filtered by kind and sorted: only the drivers, in name order.
        app.click("nav-contacts").await;
        app.wait_for("[data-testid=contact-kind-filter]").await.select_by_value("driver").await.unwrap();
        let drivers = eventually("only the drivers", PATIENCE, || async {
            let names = app.attrs("[data-testid=contact-row]", "data-contact-name").await;
            (names.len() == 2).then_some(names)
        })
        .await;
        assert_eq!(drivers, ["Ken Ito", "Maria Lopez"]);
        app.wait_for("[data-testid=contact-sort]").await.select_by_value("phone").await.unwrap();
        app.wait_for("[data-testid=contact-kind-filter]").await.select_by_value("all").await.unwrap();

        // Exported: every contact, to the file chosen.
        let file = data.path().join("everyone.csv");
        app.save_as("export-contacts", &file).await;
        assert_eq!(
            app.text("[data-testid=contacts-notice]").await,
            format!("Exported {} contacts to {}", before + 1, file.display())
        );
        let csv = std::fs::read_to_string(&file).unwrap();
        assert!(csv.contains("Delta Rivets") && csv.contains("(414) 555-0198"), "{csv}");

        // Forgotten: asked first, then gone with their calls.
        app.click("nav-contacts").await;
        app.wait_for(&format!("{ROW} [data-testid=contact-open]")).await.click().await.unwrap();
        // The editor's calls and memory load after it opens and push the button down: a click
        // sent while they arrive can land beside it, so ask again until the question shows.
        eventually("the question before forgetting", PATIENCE, || async {
            let find = |css: &'static str| app.client.find(Locator::Css(css));
            if find("[data-testid=contact-forget-confirm]").await.is_ok() {
                return Some(());
            }
            if let Ok(button) = find("[data-testid=contact-forget]").await {
                let _ = button.click().await;
            }
            None
        })
        .await;
        app.click("contact-forget-confirm").await;
        eventually("the notice of forgetting", PATIENCE, || async {
            let notice = app.text("[data-testid=contacts-notice]").await;
            (notice == "Forgot Delta Rivets and everything about them.").then_some(())
        })
        .await;
        let after = eventually("the contact gone", PATIENCE, || async {
            let names = app.attrs("[data-testid=contact-row]", "data-contact-name").await;
            (!names.iter().any(|name| name == "Delta Rivets")).then_some(names)
        })
        .await;
        assert_eq!(after.len(), before);
        app.click("nav-live").await;
        assert!(app.texts("[data-testid=call-row]").await.is_empty(), "the call went with them");
        app.quit().await;
    })
    .await;
}
