//! Excel in the address book: a workbook imports through the console (the first sheet, then
//! another one chosen), files of another kind or with no rows say so by name, and the contacts
//! export as a real .xlsx that reads back equal to the database.

use rust_xlsxwriter::Workbook;
use switchboard_engine::contacts::{ImportOptions, import_contacts};
use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};

/// Vendors on the first sheet (a formula-looking name among them), a driver on the second.
fn workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let vendors = book.add_worksheet().set_name("Vendors").unwrap();
    let rows: [[&str; 4]; 5] = [
        ["Vendor Name", "Phone Number", "Item", "Qty"],
        ["Bolt Brothers", "(414) 555-0101", "M8 bolts", ""],
        ["=HYPERLINK(\"http://x\",\"y\")", "+1 414 555 0102", "M8 bolts", ""],
        ["No Number Ltd", "", "M8 bolts", ""],
        ["Bolt Brothers", "+1 414 555 0101", "M8 bolts", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate().filter(|(_, cell)| !cell.is_empty()) {
            vendors.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    for (r, quantity) in [(1, 5000), (2, 5000), (3, 5000), (4, 6000)] {
        vendors.write_number(r, 3, quantity).unwrap();
    }
    let drivers = book.add_worksheet().set_name("Drivers").unwrap();
    for (c, cell) in ["name", "phone", "driver_id"].iter().enumerate() {
        drivers.write_string(0, c as u16, *cell).unwrap();
    }
    drivers.write_string(1, 0, "Ken Ito").unwrap().write_string(1, 1, "(312) 555-0188").unwrap();
    drivers.write_string(1, 2, "D-2077").unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_workbook_imports_and_the_contacts_export_as_xlsx() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let files = tempfile::tempdir().unwrap();
        let xlsx = files.path().join("new-vendors.xlsx");
        std::fs::write(&xlsx, workbook()).unwrap();
        let png = files.path().join("logo.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let empty = files.path().join("empty.xlsx");
        std::fs::write(&empty, b"").unwrap();
        let app = App::start(data.path(), 1).await;

        app.click("nav-contacts").await;
        app.click("open-import").await;
        let pick = |path: std::path::PathBuf| {
            let app = &app;
            async move {
                let input = app.wait_for("[data-testid=import-file]").await;
                input.send_keys(&path.display().to_string()).await.expect("the file input takes a path");
            }
        };
        pick(xlsx.clone()).await;
        let summary = app.text("[data-testid=import-summary]").await;
        assert_eq!(summary, "new-vendors.xlsx (sheet Vendors): imported 2, merged 1, rejected 1 of 4 rows");
        let statuses = eventually("four report rows", PATIENCE, || async {
            let statuses = app.attrs("[data-testid=import-row]", "data-status").await;
            (statuses.len() == 4).then_some(statuses)
        })
        .await;
        assert_eq!(statuses, ["imported", "imported", "rejected", "merged"]);
        let lines = app.attrs("[data-testid=import-row]", "data-line").await;
        assert_eq!(lines, ["2", "3", "4", "5"], "each row's line is its row in the sheet");
        app.screenshot("import-xlsx").await;

        // The workbook's other sheet, chosen in the panel.
        let sheet = app.wait_for("[data-testid=import-sheet]").await;
        sheet.select_by_value("Drivers").await.expect("the sheet can be chosen");
        let summary = eventually("the Drivers sheet's report", PATIENCE, || async {
            let summary = app.texts("[data-testid=import-summary], [data-testid=import-failure]").await.join(" | ");
            summary.contains("(sheet Drivers)").then_some(summary)
        })
        .await;
        assert_eq!(summary, "new-vendors.xlsx (sheet Drivers): imported 1, merged 0, rejected 0 of 1 rows");

        pick(png).await;
        assert_eq!(app.text("[data-testid=import-failure]").await, "not a spreadsheet, CSV or JSON file: logo.png");
        pick(empty).await;
        eventually("the empty file's message", PATIENCE, || async {
            (app.text("[data-testid=import-failure]").await == "empty.xlsx has no rows").then_some(())
        })
        .await;

        let exported = files.path().join("contacts.xlsx");
        app.save_as("export-contacts", &exported).await;
        let notice = eventually("the export's notice", PATIENCE, || async {
            let notice = app.text("[data-testid=contacts-notice]").await;
            notice.starts_with("Exported").then_some(notice)
        })
        .await;
        app.quit().await;

        let bytes = std::fs::read(&exported).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"), "a real .xlsx, not CSV text");
        let saved = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        let count = saved.list_contacts().unwrap().len();
        assert_eq!(notice, format!("Exported {count} contacts to {}", exported.display()));
        let copy = Store::open_in_memory().unwrap();
        let options = ImportOptions { kind: None, dry_run: false, region: "US".into(), sheet: None };
        let report = import_contacts(&copy, "contacts.xlsx", &bytes, &options).unwrap();
        // A sample contact whose number never was valid is exported as it is, and stays refused.
        let dialable: Vec<_> =
            saved.list_contacts().unwrap().into_iter().filter(|c| c.phone_e164.is_some()).map(|c| c.fields).collect();
        assert_eq!(report.rejected as usize, count - dialable.len(), "{}", report.to_text());
        let copied: Vec<_> = copy.list_contacts().unwrap().into_iter().map(|c| c.fields).collect();
        assert_eq!(copied, dialable, "the export reads back equal to the database");
        let fields = |store: &Store| store.list_contacts().unwrap().into_iter().map(|c| c.fields).collect::<Vec<_>>();
        let names: Vec<String> = fields(&saved).into_iter().map(|f| f.name).collect();
        for name in ["Bolt Brothers", "=HYPERLINK(\"http://x\",\"y\")", "Ken Ito"] {
            assert!(names.iter().any(|n| n == name), "{name} was imported: {names:?}");
        }
    })
    .await;
}
