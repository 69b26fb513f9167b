//! One check per contact field in the real window: the same bad time zone is reported in the
//! same words by the import report, the contact editor (every problem at once, beside its
//! field) and the campaign builder, whose skip reason the launched campaign gives too; a
//! phone extension is kept and warned about where it cannot be dialled.

use switchboard_core::{ContactDetails, ContactFields, VendorDetails, parse_phone};
use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

const CSV: &str = "name,phone,time zone,item,email,target price\n\
                   Mars Supply,312-555-0144,Mars/Olympus,,sales at mars,\n\
                   Chicago Bolts,(415) 230-0134 x12,CST,M8 bolts,,0.40\n";

const UNKNOWN_ZONE: &str = "\"Mars/Olympus\" is not a time zone: use a name such as America/Chicago, or a US zone such as CST, Eastern or Pacific";

/// A vendor as an earlier version's editor saved it: with a time zone nothing checked.
fn save_unchecked_vendor(data: &std::path::Path) {
    let store = Store::open(&data.join("switchboard.sqlite3")).unwrap();
    let fields = ContactFields {
        name: "Old Import".into(),
        phone: "(312) 555-0177".into(),
        tags: vec![],
        time_zone: Some("Mars/Olympus".into()),
        do_not_call: false,
        custom: Default::default(),
        details: ContactDetails::Vendor(VendorDetails::default()),
    };
    let phone = parse_phone(&fields.phone, "US").unwrap();
    store.insert_contact(&fields, Some(&phone), switchboard_core::UnixMillis(1)).unwrap();
}

/// The text of every element matching `css`, read in one go (rows the page re-renders while
/// they are read one by one go stale).
async fn texts_now(app: &App, css: &str) -> Vec<String> {
    let script = "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent)";
    let texts = app.client.execute(script, vec![css.into()]).await.expect("the script failed");
    app.assert_no_page_errors(&format!("while reading {css}")).await;
    serde_json::from_value(texts).expect("a list of texts")
}

/// Clicks the first element matching `css`.
async fn click(app: &App, css: &str) {
    app.wait_for(css).await.click().await.expect("click failed");
}

#[tokio::test]
async fn a_bad_time_zone_reads_the_same_in_import_editor_builder_and_campaign() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        save_unchecked_vendor(data.path());
        let csv = data.path().join("zones.csv");
        std::fs::write(&csv, CSV).unwrap();
        let app = App::start(data.path(), 60).await;

        // Import: every problem of the row at once; "CST" is Chicago, the extension is kept.
        app.click("nav-contacts").await;
        app.click("open-import").await;
        app.wait_for("[data-testid=import-file]").await.send_keys(&csv.display().to_string()).await.unwrap();
        assert_eq!(
            app.text("[data-testid=import-summary]").await,
            "zones.csv: imported 1, merged 0, rejected 1 of 2 rows"
        );
        let rejected = app.text("[data-testid=import-row][data-status=rejected]").await;
        assert!(rejected.contains(&format!("time zone: {UNKNOWN_ZONE}")), "{rejected}");
        // An older sheet's item and target columns are read past, and the report says so.
        let note = app.text("[data-testid=import-note]").await;
        assert!(note.starts_with("item, target price ignored: vendors keep their own facts"), "{note}");
        assert!(rejected.contains("email: \"sales at mars\" is not an email address"), "{rejected}");
        app.screenshot("import-checks").await;

        // The builder flags the saved vendor with the same words, and warns of the extension.
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        for name in ["Old Import", "Chicago Bolts"] {
            click(&app, &format!("[data-testid=campaign-pick][data-contact-name='{name}']")).await;
        }
        app.click("campaign-ignore-windows").await;
        // What to quote is the campaign's request.
        app.wait_for("[data-testid=request-item]").await.send_keys("M8 bolts").await.unwrap();
        replace_text(&app.wait_for("[data-testid=request-quantity]").await, "100").await;
        let skip = app.text("[data-testid=campaign-skip][data-contact-name='Old Import']").await;
        assert_eq!(skip, format!("Old Import: {UNKNOWN_ZONE}"));
        let warning = app.text("[data-testid=campaign-warning][data-contact-name='Chicago Bolts']").await;
        assert_eq!(
            warning,
            "Chicago Bolts: extension 12 will not be dialled: the simulator calls the main number only"
        );
        app.screenshot("campaign-builder-checks").await;

        // The launched campaign skips it for that very reason.
        app.launch_campaign().await;
        app.wait_for("[data-testid=campaign-detail]").await;
        let skipped = eventually("Old Import skipped", PATIENCE, || async {
            let rows = texts_now(&app, "[data-testid=campaign-target][data-status=skipped]").await;
            rows.into_iter().find(|row| row.contains("Old Import"))
        })
        .await;
        assert!(skipped.contains(UNKNOWN_ZONE), "{skipped}");

        // The editor: every problem at once, each beside its field, in the same words.
        app.click("nav-contacts").await;
        click(&app, "[data-testid=contact-row][data-contact-name='Old Import'] [data-testid=contact-open]").await;
        replace_text(&app.wait_for("[data-testid=contact-email]").await, "sales at old").await;
        app.click("contact-save").await;
        assert_eq!(app.text("[data-testid='error-timeZone']").await, UNKNOWN_ZONE);
        assert_eq!(app.text("[data-testid='error-details.email']").await, "\"sales at old\" is not an email address");
        app.screenshot("contact-editor-checks").await;

        // "Central" is a time zone too: saved as the IANA zone it means.
        replace_text(&app.wait_for("[data-testid=contact-time-zone]").await, "Central").await;
        replace_text(&app.wait_for("[data-testid=contact-email]").await, "sales@old.example").await;
        app.click("contact-save").await;
        eventually("the editor to close", PATIENCE, || async {
            texts_now(&app, "[data-testid=contact-editor]").await.is_empty().then_some(())
        })
        .await;
        click(&app, "[data-testid=contact-row][data-contact-name='Old Import'] [data-testid=contact-open]").await;
        let zone = app.wait_for("[data-testid=contact-time-zone]").await.prop("value").await.unwrap();
        assert_eq!(zone.as_deref(), Some("America/Chicago"));
        click(&app, "[aria-label='Close editor']").await;

        // The extension is kept with the contact, and the editor says where it is not dialled.
        click(&app, "[data-testid=contact-row][data-contact-name='Chicago Bolts'] [data-testid=contact-open]").await;
        assert_eq!(app.text("[data-testid=contact-dials]").await, "dials +14152300134, then extension 12");
        let note = app.text("[data-testid=contact-extension-warning]").await;
        assert!(note.contains("ElevenLabs, Vapi and the simulator call the main number only"), "{note}");
        app.quit().await;
    })
    .await;
}
