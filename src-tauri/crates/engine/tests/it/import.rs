//! Contact import: messy real-world rows with exact outcomes, merges, dry runs and round trips.

use switchboard_core::{ContactDetails, ContactKind, Severity};
use switchboard_engine::contacts::{ImportOptions, RowOutcome, export_contacts, import_contacts};
use switchboard_engine::tables::ExportFormat;
use switchboard_store::Store;

fn options(kind: Option<ContactKind>) -> ImportOptions {
    ImportOptions { kind, dry_run: false, region: "US".into(), sheet: None }
}

fn outcomes(report: &switchboard_engine::contacts::ImportReport) -> Vec<String> {
    report
        .rows
        .iter()
        .map(|row| match &row.outcome {
            RowOutcome::Imported { .. } => format!("{} imported", row.row),
            RowOutcome::Merged { into, changed, .. } => {
                format!("{} merged into {into}: {}", row.row, changed.join(","))
            }
            RowOutcome::Rejected { errors } => {
                let reasons: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.column, e.reason)).collect();
                format!("{} rejected {}", row.row, reasons.join(" | "))
            }
        })
        .collect()
}

#[test]
fn messy_vendor_rows_import_or_say_exactly_why_not() {
    let store = Store::open_in_memory().unwrap();
    let csv = "\u{feff}Vendor Name,Phone Number,Item,Qty,Target Price,Favourite Colour\r\n\
               Acme Fasteners,(312) 555-0143,bolts,\"10,000\",$0.42,blue\r\n\
               Fictional Area Code,(555) 123-4567,bolts,100,,\r\n\
               London Office,+44 20 7946 0958,bolts,100,,\r\n\
               Extension Works,312.555.0150 ext 2,bolts,100,,\r\n\
               Flowers Inc,1-800-FLOWERS,bolts,100,,\r\n\
               No Phone,,bolts,100,,\r\n\
               Words,call me maybe,bolts,100,,\r\n\
               UK National,020 7946 0958,bolts,100,,\r\n\
               \"Bolts, Nuts & Co.\",\"(216) 555-0187\",\"washers, M8\",12,0.1,\r\n\
               ,(503) 555-0119,bolts,ten,cheap,\r\n";
    let report = import_contacts(&store, "vendors.csv", csv, &options(None)).unwrap();
    assert_eq!(
        outcomes(&report),
        [
            "1 imported",
            "2 rejected Phone Number: \"(555) 123-4567\" is not a valid phone number (read with default region US)",
            "3 imported",
            "4 imported",
            "5 imported",
            "6 rejected Phone Number: the phone number is empty",
            "7 rejected Phone Number: \"call me maybe\" is not a phone number: not a number",
            "8 rejected Phone Number: \"020 7946 0958\" is not a valid phone number (read with default region US)",
            "9 imported",
            "10 rejected Vendor Name: a name is required",
        ]
    );
    assert_eq!((report.imported, report.merged, report.rejected), (5, 0, 5));
    assert_eq!(report.rows[1].line, Some(3), "row 2 starts on line 3, after the header");

    let saved = store.list_contacts().unwrap();
    let e164: Vec<(&str, Option<&str>)> =
        saved.iter().map(|c| (c.fields.name.as_str(), c.phone_e164.as_deref())).collect();
    assert_eq!(
        e164,
        [
            ("Acme Fasteners", Some("+13125550143")),
            ("Bolts, Nuts & Co.", Some("+12165550187")),
            ("Extension Works", Some("+13125550150")),
            ("Flowers Inc", Some("+18003569377")),
            ("London Office", Some("+442079460958")),
        ]
    );
    let acme = &saved[0];
    assert_eq!(acme.fields.details, ContactDetails::Vendor(Default::default()), "what to quote is not the vendor's");
    assert_eq!(
        acme.fields.custom.get("favourite_colour").map(String::as_str),
        Some("blue"),
        "unknown columns are kept"
    );
    // An old sheet with the request's columns imports; the report says they were ignored.
    assert_eq!(
        report.notes,
        ["Item, Qty, Target Price ignored: vendors keep their own facts; a quote campaign's request says what to \
          quote, how many and the target price"]
    );
    assert!(report.to_text().contains("note: Item, Qty, Target Price ignored: "), "{}", report.to_text());
}

#[test]
fn rows_with_the_same_number_merge_and_the_report_says_what_changed() {
    let store = Store::open_in_memory().unwrap();
    let first = "name,phone,item,quantity,tags\nAcme,312-555-0143,bolts,100,east\n";
    import_contacts(&store, "first.csv", first, &options(None)).unwrap();

    let second = "name,phone,item,quantity,tags,email\n\
                  Acme,+1 312 555 0143,bolts,250,east;priority,\n\
                  Acme Fasteners,(312) 555-0143,bolts,250,,sales@acme.example\n\
                  Acme,3125550143,bolts,250,,\n";
    let report = import_contacts(&store, "second.csv", second, &options(None)).unwrap();
    assert_eq!(
        outcomes(&report),
        [
            "1 merged into Acme (already saved): tags",
            "2 merged into Acme (already saved): name,email",
            "3 merged into Acme (already saved): name",
        ]
    );
    let saved = store.list_contacts().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].fields.name, "Acme");
    assert_eq!(saved[0].fields.tags, ["east", "priority"]);
}

#[test]
fn a_number_already_used_by_another_kind_is_rejected() {
    let store = Store::open_in_memory().unwrap();
    import_contacts(&store, "v.csv", "name,phone,item\nAcme,312-555-0143,bolts\n", &options(None)).unwrap();
    let report =
        import_contacts(&store, "d.csv", "name,phone,driver_id\nMaria,312-555-0143,D-1\n", &options(None)).unwrap();
    assert_eq!(
        outcomes(&report),
        ["1 rejected phone: 312-555-0143 already belongs to the vendor Acme; this row is a driver"]
    );
}

#[test]
fn driver_rows_gather_violations_and_reject_bad_cells() {
    let store = Store::open_in_memory().unwrap();
    let csv = "name,phone,driver_id,trip_id,violation_type,violation_time,severity,transfer_to,dispatcher\n\
               Maria Lopez,(312) 555-0100,D-1042,T-778,Speeding,2026-11-20 14:05,high,(312) 555-0199,Sam Ortiz\n\
               Maria Lopez,(312) 555-0100,D-1042,T-778,Harsh braking,2026-11-20 15:10,medium,,\n\
               Ken Ito,(312) 555-0101,D-2000,,,2026-11-20,catastrophic,12,\n";
    let report = import_contacts(&store, "drivers.csv", csv, &options(None)).unwrap();
    assert_eq!(
        outcomes(&report),
        [
            "1 imported",
            "2 merged into Maria Lopez (row 1): violations",
            "3 rejected violation_type: violation_time is filled but the violation type is not | severity: \"catastrophic\" is not low, medium, high or critical | transfer_to: the transfer number cannot be used: \"12\" is not a phone number: the number is too short after the country code",
        ]
    );
    let maria = store.list_contacts().unwrap().remove(0);
    assert_eq!(maria.fields.kind(), ContactKind::Driver);
    let ContactDetails::Driver(driver) = &maria.fields.details else { panic!("a driver") };
    assert_eq!(driver.violations.len(), 2);
    assert_eq!(driver.violations[0].severity, Some(Severity::High));
    assert_eq!(driver.transfer_to.as_deref(), Some("+13125550199"));
    assert_eq!(driver.dispatcher_name.as_deref(), Some("Sam Ortiz"));
}

#[test]
fn a_dry_run_reports_without_writing() {
    let store = Store::open_in_memory().unwrap();
    let opts = ImportOptions { dry_run: true, ..options(Some(ContactKind::Vendor)) };
    let report =
        import_contacts(&store, "v.csv", "name,phone,item\nAcme,312-555-0143,bolts\nBad,12,bolts\n", &opts).unwrap();
    assert_eq!((report.imported, report.rejected), (1, 1));
    assert!(store.list_contacts().unwrap().is_empty());
    assert!(
        report.to_text().ends_with("v.csv: would import 1, merged 0, rejected 1 of 2 rows\n"),
        "{}",
        report.to_text()
    );
}

#[test]
fn every_problem_of_a_row_is_reported_at_once_in_the_words_of_the_contact_checks() {
    let store = Store::open_in_memory().unwrap();
    let csv = "name,phone,time zone,item,email\n\
               Acme,312-555-0143,CST,bolts,\n\
               Mars Supply,312-555-0144,Mars/Olympus,,sales at mars\n\
               Lakes,216-555-0187,Eastern Time,bolts,\n";
    let report = import_contacts(&store, "zones.csv", csv, &options(None)).unwrap();
    let unknown = "\"Mars/Olympus\" is not a time zone: use a name such as America/Chicago, or a US zone such as CST, \
                   Eastern or Pacific";
    assert_eq!(
        outcomes(&report),
        [
            "1 imported".to_owned(),
            format!("2 rejected time zone: {unknown} | email: \"sales at mars\" is not an email address"),
            "3 imported".to_owned(),
        ]
    );
    // The same words as the contact editor and the campaign builder (core's checks).
    let mut mars = store.list_contacts().unwrap().remove(0).fields;
    mars.time_zone = Some("Mars/Olympus".into());
    assert_eq!(switchboard_core::check_contact(&mars, "US").problems[0].message, unknown);
    // US zone names are kept as the IANA zone they mean.
    let zones: Vec<Option<String>> = store.list_contacts().unwrap().into_iter().map(|c| c.fields.time_zone).collect();
    assert_eq!(zones, [Some("America/Chicago".to_owned()), Some("America/New_York".to_owned())]);
}

#[test]
fn a_merged_row_is_checked_as_the_contact_it_makes() {
    let store = Store::open_in_memory().unwrap();
    import_contacts(&store, "v.csv", "name,phone\nAcme,312-555-0143\n", &options(None)).unwrap();
    // No name in this file: the saved one counts. A new vendor without one is refused.
    let report = import_contacts(
        &store,
        "tags.csv",
        "name,phone,tags\n,(312) 555-0143,east\n,312-555-0150,east\n",
        &options(Some(ContactKind::Vendor)),
    )
    .unwrap();
    assert_eq!(outcomes(&report), ["1 merged into Acme (already saved): tags", "2 rejected name: a name is required"]);
}

#[test]
fn extensions_are_kept_and_only_the_same_extension_merges() {
    let store = Store::open_in_memory().unwrap();
    let csv = "name,phone,ext,item\n\
               Acme sales,(415) 230-0134 x12,,bolts\n\
               Acme billing,(415) 230-0134,13,bolts\n\
               Acme front desk,(415) 230-0134,,bolts\n\
               Acme sales,415-230-0134 ext. 12,,bolts\n\
               Odd,(415) 230-0135 x12,14,bolts\n\
               Letters,(415) 230-0136,abc,bolts\n";
    let report = import_contacts(&store, "ext.csv", csv, &options(None)).unwrap();
    assert_eq!(
        outcomes(&report),
        [
            "1 imported",
            "2 imported",
            "3 imported",
            "4 merged into Acme sales (row 1): ",
            "5 rejected ext: the phone says extension 12, this column says 14",
            "6 rejected ext: \"abc\" is not an extension: use digits",
        ]
    );
    let saved = store.list_contacts().unwrap();
    let numbers: Vec<(&str, Option<&str>, Option<&str>)> =
        saved.iter().map(|c| (c.fields.name.as_str(), c.phone_e164.as_deref(), c.phone_extension.as_deref())).collect();
    assert_eq!(
        numbers,
        [
            ("Acme billing", Some("+14152300134"), Some("13")),
            ("Acme front desk", Some("+14152300134"), None),
            ("Acme sales", Some("+14152300134"), Some("12")),
        ]
    );
    assert_eq!(saved[0].fields.phone, "(415) 230-0134 ext. 13", "the extension column joins the phone");

    // An export imports again with every extension.
    let copy = Store::open_in_memory().unwrap();
    let exported = export_contacts(&saved, ExportFormat::Csv).unwrap();
    import_contacts(&copy, "export.csv", &exported, &options(None)).unwrap();
    let extensions: Vec<Option<String>> =
        copy.list_contacts().unwrap().into_iter().map(|c| c.phone_extension).collect();
    assert_eq!(extensions, [Some("13".to_owned()), None, Some("12".to_owned())]);
}

#[test]
fn json_imports_and_every_export_round_trips() {
    let store = Store::open_in_memory().unwrap();
    let json = r#"[
        {"name": "Acme", "phone": "312-555-0143", "tags": ["east"], "details": {"kind": "vendor", "item": "bolts", "quantity": 100, "targetPrice": 0.42}},
        {"name": "Maria", "phone": "312-555-0100", "timeZone": "America/Chicago", "doNotCall": true,
         "details": {"kind": "driver", "driverId": "D-1", "violations": [{"type": "Speeding", "severity": "high"}],
                     "trip": {"origin": "Chicago", "destination": "Omaha"}}},
        "not an object",
        {"name": "Ghost"}
    ]"#;
    let report = import_contacts(&store, "contacts.json", json, &options(None)).unwrap();
    assert_eq!(
        outcomes(&report),
        [
            "1 imported",
            "2 imported",
            "3 rejected -: expected an object with the contact's fields, found a string",
            "4 rejected phone: the phone number is empty",
        ]
    );
    let saved = store.list_contacts().unwrap();
    assert!(saved[1].fields.do_not_call);

    for (format, name) in
        [(ExportFormat::Csv, "export.csv"), (ExportFormat::Json, "export.json"), (ExportFormat::Xlsx, "export.xlsx")]
    {
        let exported = export_contacts(&saved, format).unwrap();
        let copy = Store::open_in_memory().unwrap();
        let report = import_contacts(&copy, name, &exported, &options(None)).unwrap();
        assert_eq!(report.imported, 2, "{format:?}: {}", report.to_text());
        let fields = |store: &Store| store.list_contacts().unwrap().into_iter().map(|c| c.fields).collect::<Vec<_>>();
        assert_eq!(fields(&copy), fields(&store), "{format:?} round trip");
    }
}

#[test]
fn a_file_that_is_not_contacts_at_all_is_an_error() {
    let store = Store::open_in_memory().unwrap();
    let err = import_contacts(&store, "x.json", "{\"vendors\": 1}", &options(None)).unwrap_err();
    assert_eq!(err.to_string(), "x.json: expected a JSON list of contacts (or {\"contacts\": [...]})");
    let err = import_contacts(&store, "x.json", "[{", &options(None)).unwrap_err();
    assert!(err.to_string().starts_with("x.json is not valid JSON"), "{err}");
}

#[test]
fn an_import_waits_out_a_write_lock_held_past_the_busy_timeout_and_imports_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    let store = Store::open(&path).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Held past the store's 5 s busy timeout, so a write gives up once before it gets through.
    let held = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(6_500));
        other.execute_batch("COMMIT").unwrap();
    });
    let csv =
        "name,phone,item\nAcme,(312) 555-0143,bolts\nBolt Bros,(312) 555-0144,bolts\nCoastal,(312) 555-0145,bolts\n";
    let report = import_contacts(&store, "vendors.csv", csv, &options(Some(ContactKind::Vendor))).unwrap();
    held.join().unwrap();
    assert_eq!(outcomes(&report), ["1 imported", "2 imported", "3 imported"]);
    assert_eq!(store.list_contacts().unwrap().len(), 3);
}
