//! A new dispatcher's first minutes in the real window: an empty Live says where to begin, each
//! step a link to its section; the one-off call form fits Live's column at the common window
//! sizes, and an empty submit says beside each field what is missing.

use crate::app::{App, TEST_LIMIT, within};

#[tokio::test]
async fn an_empty_live_says_where_to_begin() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-live").await;
        let steps = app.text("[data-testid=first-steps]").await;
        assert!(steps.contains("Check an agent") && steps.contains("Import or pick contacts"), "{steps}");
        app.screenshot("first-run").await;
        for (link, section) in [
            ("first-step-agents", "agents"),
            ("first-step-contacts", "contacts"),
            ("first-step-call", "contacts"),
            ("first-step-campaign", "campaigns"),
            ("first-step-settings", "settings"),
        ] {
            app.click("nav-live").await;
            app.click(link).await;
            app.wait_for(&format!("[data-testid=section-{section}]")).await;
        }
        app.click("nav-live").await;
        app.click("first-step-one-off").await;
        app.wait_for("[data-testid=one-off-call]").await;
        app.quit().await;
    })
    .await;
}

/// What the page measures of Live's column and the one-off form in it.
const MEASURE: &str = "const column = document.querySelector('.call-list');
    const main = document.querySelector('main');
    const form = document.querySelector('[data-testid=one-off-call]').getBoundingClientRect();
    const fields = [...document.querySelectorAll('[data-testid=one-off-call] input, [data-testid=one-off-call] textarea, [data-testid=one-off-call] select')];
    const clipped = fields.filter((f) => { const r = f.getBoundingClientRect();
        return r.width < 120 || r.left < form.left || r.right > form.right + 0.5; }).map((f) => f.outerHTML.slice(0, 80));
    return { width: window.innerWidth, height: window.innerHeight,
             columnScroll: column.scrollWidth, columnWidth: column.clientWidth,
             mainScroll: main.scrollWidth, mainWidth: main.clientWidth,
             formRight: form.right, columnRight: column.getBoundingClientRect().right,
             fields: fields.length, clipped };";

#[tokio::test]
async fn the_one_off_form_fits_and_names_what_is_missing() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-live").await;
        app.click("open-one-off").await;
        app.wait_for("[data-testid=one-off-call]").await;
        for (width, height) in [(1280, 800), (1920, 1080)] {
            app.client.set_window_size(width, height).await.expect("the window resizes");
            let shown = crate::app::eventually("the new size", crate::app::PATIENCE, || async {
                let m = app.client.execute(MEASURE, vec![]).await.unwrap();
                (m["width"].as_u64() == Some(u64::from(width))).then_some(m)
            })
            .await;
            eprintln!("{width}x{height}: {shown}");
            assert!(
                shown["columnScroll"].as_f64() <= shown["columnWidth"].as_f64(),
                "Live's column scrolls sideways: {shown}"
            );
            assert!(shown["mainScroll"].as_f64() <= shown["mainWidth"].as_f64(), "the page scrolls sideways: {shown}");
            assert!(shown["formRight"].as_f64() <= shown["columnRight"].as_f64(), "the form sticks out: {shown}");
            assert_eq!(shown["fields"].as_u64(), Some(7), "{shown}");
            assert_eq!(shown["clipped"], serde_json::json!([]), "{shown}");
            app.screenshot(&format!("one-off-{width}")).await;
        }

        // An empty submit says beside each field what is missing, and places no call.
        app.click("one-off-place").await;
        assert_eq!(app.text("[data-testid=one-off-error-phone]").await, "the number to call is missing");
        assert_eq!(app.text("[data-testid=one-off-error-action]").await, "say what the call is for");
        assert!(app.texts("[data-testid=error-banner]").await.is_empty(), "said beside the fields, not in a banner");
        assert!(app.texts("[data-testid=call-row]").await.is_empty(), "no call placed");

        // A number that cannot be dialled is said beside the number.
        app.wait_for("[data-testid=one-off-phone]").await.send_keys("555-01").await.unwrap();
        app.wait_for("[data-testid=one-off-action]").await.send_keys("Confirm Friday's delivery").await.unwrap();
        app.click("one-off-place").await;
        let phone = app.text("[data-testid=one-off-error-phone]").await;
        assert!(phone.contains("555-01"), "{phone}");
        assert!(app.texts("[data-testid=one-off-error-action]").await.is_empty());
        app.quit().await;
    })
    .await;
}
