//! Contacts from spreadsheets (.xlsx, .xls, .ods) through the same rules as CSV; files of
//! another kind or with no rows; formula cells in CSV exports neutralised and read back equal.

use std::path::PathBuf;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use switchboard_core::{ContactDetails, ContactFields, ContactKind, Phone, VendorDetails};
use switchboard_engine::contacts::{ImportOptions, ImportReport, RowOutcome, export_contacts, import_contacts};
use switchboard_engine::tables::ExportFormat;
use switchboard_store::Store;

fn options(sheet: Option<&str>) -> ImportOptions {
    ImportOptions { kind: None, dry_run: false, region: "US".into(), sheet: sheet.map(str::to_owned) }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The workbook of `tests/fixtures/make_workbooks.py`, as .xlsx.
fn vendors_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let vendors = book.add_worksheet().set_name("Vendors").unwrap();
    for (column, header) in ["Vendor Name", "Phone Number", "Item", "Qty", "Target Price"].iter().enumerate() {
        vendors.write_string(0, column as u16, *header).unwrap();
    }
    vendors.write_string(1, 0, "Bolt Brothers").unwrap().write_string(1, 1, "(414) 555-0101").unwrap();
    vendors.write_string(1, 2, "M8 bolts").unwrap().write_number(1, 3, 5000).unwrap().write_number(1, 4, 0.4).unwrap();
    vendors.write_string(3, 0, "Nuts & More").unwrap().write_number(3, 1, 4_145_550_102_f64).unwrap();
    vendors.write_string(3, 2, "M8 bolts").unwrap().write_number(3, 3, 5000).unwrap().write_number(3, 4, 0.41).unwrap();
    vendors.write_string(4, 0, "No Number Ltd").unwrap().write_string(4, 2, "M8 bolts").unwrap();
    vendors.write_number(4, 3, 5000).unwrap().write_number(4, 4, 0.4).unwrap();
    vendors.write_string(5, 0, "Bolt Brothers").unwrap().write_string(5, 1, "+1 414 555 0101").unwrap();
    vendors.write_string(5, 2, "M8 bolts").unwrap().write_number(5, 3, 6000).unwrap();
    let drivers = book.add_worksheet().set_name("Drivers").unwrap();
    for (column, header) in
        ["name", "phone", "driver_id", "violation_type", "violation_time", "severity"].iter().enumerate()
    {
        drivers.write_string(0, column as u16, *header).unwrap();
    }
    drivers.write_string(1, 0, "Maria Lopez").unwrap().write_string(1, 1, "(312) 555-0100").unwrap();
    drivers.write_string(1, 2, "D-1042").unwrap().write_string(1, 3, "Speeding").unwrap();
    let when = ExcelDateTime::parse_from_str("2026-11-20 14:05").unwrap();
    drivers.write_datetime_with_format(1, 4, &when, &Format::new().set_num_format("yyyy-mm-dd hh:mm")).unwrap();
    drivers.write_string(1, 5, "high").unwrap();
    book.save_to_buffer().unwrap()
}

fn outcomes(report: &ImportReport) -> Vec<String> {
    report
        .rows
        .iter()
        .map(|row| {
            let at = format!("{} (line {})", row.row, row.line.unwrap_or_default());
            match &row.outcome {
                RowOutcome::Imported { .. } => format!("{at} imported"),
                RowOutcome::Merged { into, changed, .. } => format!("{at} merged into {into}: {}", changed.join(",")),
                RowOutcome::Rejected { errors } => {
                    let reasons: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.column, e.reason)).collect();
                    format!("{at} rejected {}", reasons.join(" | "))
                }
            }
        })
        .collect()
}

#[test]
fn every_kind_of_workbook_imports_by_the_rules_csv_does() {
    for (name, bytes) in [
        ("vendors.xlsx", vendors_xlsx()),
        ("vendors.xls", fixture("vendors.xls")),
        ("vendors.ods", fixture("vendors.ods")),
    ] {
        let store = Store::open_in_memory().unwrap();
        let report = import_contacts(&store, name, &bytes, &options(None)).unwrap();
        assert_eq!(
            outcomes(&report),
            [
                "1 (line 2) imported",
                "2 (line 4) imported",
                "3 (line 5) rejected Phone Number: the phone number is empty",
                "4 (line 6) merged into Bolt Brothers (row 1): ",
            ],
            "{name}"
        );
        assert_eq!(report.sheet.as_deref(), Some("Vendors"), "{name}: the first sheet");
        assert_eq!(report.sheets, ["Vendors", "Drivers"], "{name}");
        assert!(
            report
                .to_text()
                .ends_with(&format!("{name} (sheet Vendors): imported 2, merged 1, rejected 1 of 4 rows\n"))
        );
        assert_eq!(
            report.notes,
            ["Item, Qty, Target Price ignored: vendors keep their own facts; a quote campaign's request says what \
              to quote, how many and the target price"],
            "{name}"
        );
        let saved: Vec<(String, Option<String>)> = store
            .list_contacts()
            .unwrap()
            .into_iter()
            .map(|c| {
                assert_eq!(c.fields.kind(), ContactKind::Vendor, "{name}");
                (c.fields.name.clone(), c.phone_e164.clone())
            })
            .collect();
        assert_eq!(
            saved,
            [
                ("Bolt Brothers".to_owned(), Some("+14145550101".to_owned())),
                ("Nuts & More".to_owned(), Some("+14145550102".to_owned())),
            ],
            "{name}: numbers typed as numbers read as the same text a CSV would hold"
        );

        let report = import_contacts(&store, name, &bytes, &options(Some("Drivers"))).unwrap();
        assert_eq!(outcomes(&report), ["1 (line 2) imported"], "{name}");
        let maria = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Maria Lopez").unwrap();
        assert_eq!(maria.fields.kind(), ContactKind::Driver);
        let ContactDetails::Driver(driver) = &maria.fields.details else { panic!("a driver") };
        assert_eq!(driver.violations[0].time.as_deref(), Some("2026-11-20 14:05"), "{name}: a date cell as text");
    }
}

#[test]
fn a_sheet_that_is_not_there_is_named_with_those_that_are() {
    let store = Store::open_in_memory().unwrap();
    let err = import_contacts(&store, "vendors.xlsx", vendors_xlsx(), &options(Some("Carriers"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "vendors.xlsx: there is no sheet named \"Carriers\" (the sheets are \"Vendors\", \"Drivers\")"
    );
    assert!(store.list_contacts().unwrap().is_empty());
}

#[test]
fn files_of_another_kind_or_with_no_rows_say_so_by_name() {
    let store = Store::open_in_memory().unwrap();
    let error =
        |name: &str, bytes: &[u8]| import_contacts(&store, name, bytes, &options(None)).unwrap_err().to_string();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    assert_eq!(error("logo.png", png), "not a spreadsheet, CSV or JSON file: logo.png");
    assert_eq!(error("renamed.xlsx", png), "not a spreadsheet, CSV or JSON file: renamed.xlsx");
    assert_eq!(
        error("broken.xlsx", b"PK\x03\x04 not really a zip"),
        "not a spreadsheet, CSV or JSON file: broken.xlsx"
    );

    assert_eq!(error("empty.xlsx", b""), "empty.xlsx has no rows");
    assert_eq!(error("empty.csv", b""), "empty.csv has no rows");
    assert_eq!(error("blank.csv", b"\xEF\xBB\xBF\r\n  \r\n"), "blank.csv has no rows");
    assert_eq!(error("header.csv", b"name,phone\r\n"), "header.csv has no rows");
    assert_eq!(error("none.json", b"[]"), "none.json has no rows");
    let mut book = Workbook::new();
    book.add_worksheet().write_string(0, 0, "name").unwrap().write_string(0, 1, "phone").unwrap();
    assert_eq!(error("header.xlsx", &book.save_to_buffer().unwrap()), "header.xlsx has no rows");
    let mut book = Workbook::new();
    book.add_worksheet();
    assert_eq!(error("blank.xlsx", &book.save_to_buffer().unwrap()), "blank.xlsx has no rows");
    assert!(store.list_contacts().unwrap().is_empty());
}

fn vendor(name: &str, phone: &str) -> ContactFields {
    ContactFields {
        name: name.into(),
        phone: phone.into(),
        tags: vec!["-priority".into()],
        time_zone: None,
        do_not_call: false,
        custom: [("balance".to_owned(), "-42.50".to_owned()), ("ref".to_owned(), "@ops".to_owned())].into(),
        details: ContactDetails::Vendor(VendorDetails {
            email: None,
            location: Some("+ Dock 4".into()),
            notes: Some("=SUM(A1:A2)".into()),
        }),
    }
}

#[test]
fn formula_cells_are_neutralised_in_csv_and_every_export_reads_back_equal() {
    let store = Store::open_in_memory().unwrap();
    let formula = "=HYPERLINK(\"http://x\",\"y\")";
    store
        .insert_contact(
            &vendor(formula, "+1 415 555 0100"),
            Some(&Phone::plain("+14155550100")),
            switchboard_core::UnixMillis(1),
        )
        .unwrap();
    store
        .insert_contact(
            &vendor("'=quoted", "(415) 555-0101"),
            Some(&Phone::plain("+14155550101")),
            switchboard_core::UnixMillis(2),
        )
        .unwrap();
    let saved = store.list_contacts().unwrap();

    let csv = export_contacts(&saved, ExportFormat::Csv).unwrap();
    let cells: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_slice())
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    for cell in cells.iter().flatten() {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?} would run as a formula");
    }
    assert!(cells.iter().flatten().any(|cell| *cell == format!("'{formula}")), "{cells:?}");
    assert!(cells.iter().flatten().any(|cell| cell == "'+1 415 555 0100"), "{cells:?}");

    for (format, name) in [(ExportFormat::Csv, "c.csv"), (ExportFormat::Xlsx, "c.xlsx"), (ExportFormat::Json, "c.json")]
    {
        let copy = Store::open_in_memory().unwrap();
        let bytes = export_contacts(&saved, format).unwrap();
        let report = import_contacts(&copy, name, &bytes, &options(None)).unwrap();
        assert_eq!(report.imported, 2, "{}", report.to_text());
        let fields = |store: &Store| store.list_contacts().unwrap().into_iter().map(|c| c.fields).collect::<Vec<_>>();
        assert_eq!(fields(&copy), fields(&store), "{format:?} reads back equal");
    }
}
