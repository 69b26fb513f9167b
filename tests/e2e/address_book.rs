//! The address book and agent workshop: import a CSV and then a JSON file through the console and
//! read their per-row reports, then edit an agent (with a field error on the way).

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

const CSV: &str = "\u{feff}Vendor Name,Phone Number,Location,Item,Qty\r\n\
                   Bolt Brothers,(414) 555-0101,\"Milwaukee, WI\",M8 bolts,5000\r\n\
                   \"Nuts, Bolts & More\",414.555.0102,\"Racine, WI\",M8 bolts,\"5,000\"\r\n\
                   No Number Ltd,,\"Kenosha, WI\",M8 bolts,5000\r\n\
                   Bolt Brothers,+1 414 555 0101,\"Madison, WI\",M8 bolts,6000\r\n";

const JSON: &str = r#"[
    {"name": "Ana Ruiz", "phone": "(312) 555-0188", "details": {"kind": "driver", "driverId": "D-9",
     "violations": [{"type": "Hard braking", "severity": "medium"}]}},
    "not a contact"
]"#;

#[tokio::test]
async fn a_csv_imports_through_the_console_with_a_report_per_row() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let csv = data.path().join("new-vendors.csv");
        std::fs::write(&csv, CSV).unwrap();
        let app = App::start(data.path(), 1).await;

        app.click("nav-contacts").await;
        let before = app.attrs("[data-testid=contact-row]", "data-contact-name").await.len();
        app.click("open-import").await;
        let input = app.wait_for("[data-testid=import-file]").await;
        input.send_keys(&csv.display().to_string()).await.expect("the file input takes a path");

        let summary = app.text("[data-testid=import-summary]").await;
        assert_eq!(summary, "new-vendors.csv: imported 2, merged 1, rejected 1 of 4 rows");
        let statuses = eventually("four report rows", PATIENCE, || async {
            let statuses = app.attrs("[data-testid=import-row]", "data-status").await;
            (statuses.len() == 4).then_some(statuses)
        })
        .await;
        assert_eq!(statuses, ["imported", "imported", "rejected", "merged"]);
        let rows = app.texts("[data-testid=import-row]").await;
        assert!(rows[2].contains("Phone Number: the phone number is empty"), "{}", rows[2]);
        let third = app.wait_for("[data-testid=import-row][data-status=rejected]").await;
        assert_eq!(third.attr("data-line").await.unwrap().as_deref(), Some("4"), "row 3 starts on line 4");
        assert!(rows[3].contains("merged into Bolt Brothers (row 1): location"), "{}", rows[3]);
        app.screenshot("import-report").await;

        let names = eventually("the imported contacts in the list", PATIENCE, || async {
            let names = app.attrs("[data-testid=contact-row]", "data-contact-name").await;
            (names.len() == before + 2).then_some(names)
        })
        .await;
        assert!(names.iter().any(|n| n == "Nuts, Bolts & More"), "{names:?}");

        // Search narrows the list to what matches.
        app.wait_for("[data-testid=contact-search]").await.send_keys("bolt brothers").await.unwrap();
        let shown = eventually("the search result", PATIENCE, || async {
            let names = app.attrs("[data-testid=contact-row]", "data-contact-name").await;
            (names.len() == 1).then_some(names)
        })
        .await;
        assert_eq!(shown, ["Bolt Brothers"]);

        // JSON imports the same way, with its own report.
        let json = data.path().join("drivers.json");
        std::fs::write(&json, JSON).unwrap();
        let input = app.wait_for("[data-testid=import-file]").await;
        input.send_keys(&json.display().to_string()).await.expect("the file input takes a path");
        eventually("the JSON report", PATIENCE, || async {
            let summary = app.text("[data-testid=import-summary]").await;
            (summary == "drivers.json: imported 1, merged 0, rejected 1 of 2 rows").then_some(())
        })
        .await;
        let rows = app.texts("[data-testid=import-row]").await;
        assert!(rows[1].contains("found a string"), "{rows:?}");
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn an_agent_is_edited_with_inline_validation() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-agents").await;
        app.wait_for("[data-testid=agent-card][data-agent-name='Vendor quote'] [data-testid=edit-agent]")
            .await
            .click()
            .await
            .unwrap();

        let name = app.wait_for("[data-testid=agent-name]").await;
        replace_text(&name, "").await;
        app.click("agent-save").await;
        assert_eq!(app.text("[data-testid=error-name]").await, "a name is required");

        name.send_keys("Bolt quote").await.unwrap();
        let first = app.wait_for("[data-testid=agent-first-message]").await;
        replace_text(&first, "Hello {{vendor_name}}, a quick quote on {{item}} for {{organization}}?").await;
        app.screenshot("agent-editor").await;
        app.click("agent-save").await;

        let message = eventually("the saved agent", PATIENCE, || async {
            let cards = app
                .texts("[data-testid=agent-card][data-agent-name='Bolt quote'] [data-testid=agent-card-first-message]")
                .await;
            cards.into_iter().next()
        })
        .await;
        assert_eq!(message, "Hello {{vendor_name}}, a quick quote on {{item}} for {{organization}}?");
        app.quit().await;

        // The edit is in the database: a new run shows it.
        let app = App::start(data.path(), 1).await;
        app.click("nav-agents").await;
        app.wait_for("[data-testid=agent-card][data-agent-name='Bolt quote']").await;
        app.quit().await;
    })
    .await;
}
