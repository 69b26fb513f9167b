//! The headless commands (`contacts import`, `call`, `history`), run as a user would run them.

use std::process::Command;

use switchboard_engine::history::CallCsvRow;

fn switchboard(data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.env("SWITCHBOARD_DATA_DIR", data).env("RUST_LOG", "warn");
    command
}

/// Two sample vendors to quote, as a CSV file in `dir`.
fn two_vendors(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("vendors.csv");
    let csv = "name,phone,item,quantity\nAcme Fasteners,(312) 555-0143,M8 bolts,100\nGreat Lakes,+1 216 555 0187,M8 bolts,100\n";
    std::fs::write(&file, csv).unwrap();
    file
}

/// Polls `query` (one value) on the running command's database until `done` holds; fails with
/// `never` after 60 s. A database not created yet, or busy, reads as not done.
fn until_database<T: rusqlite::types::FromSql>(
    database: &std::path::Path,
    never: &str,
    query: &str,
    done: impl Fn(T) -> bool,
) {
    let started = std::time::Instant::now();
    loop {
        let value = rusqlite::Connection::open(database).and_then(|conn| conn.query_row(query, [], |row| row.get(0)));
        if value.is_ok_and(&done) {
            return;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{never}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

const CSV: &str = "name,phone,item,quantity\nAcme,(312) 555-0143,bolts,100\nBad,12,bolts,1\n";

#[test]
fn import_reports_each_row_and_fails_when_a_row_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendors.csv");
    std::fs::write(&file, CSV).unwrap();
    let data = dir.path().join("profile");

    let dry = switchboard(&data).args(["contacts", "import"]).arg(&file).arg("--dry-run").output().unwrap();
    assert_eq!(dry.status.code(), Some(1));
    let text = String::from_utf8(dry.stdout).unwrap();
    assert!(text.starts_with("row 1 (line 2): imported Acme\nrow 2 (line 3): rejected Bad: phone: "), "{text}");
    assert!(text.ends_with("would import 1, merged 0, rejected 1 of 2 rows\n"), "{text}");

    let json =
        switchboard(&data).args(["contacts", "import", "--kind", "vendors", "--json"]).arg(&file).output().unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((report["imported"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)));
    assert_eq!(report["rows"][1]["outcome"]["errors"][0]["column"], "phone");

    // Importing the good row again merges it, changes nothing, and succeeds.
    std::fs::write(&file, "name,phone,item,quantity\nAcme,+1 312 555 0143,bolts,100\n").unwrap();
    let again = switchboard(&data).args(["contacts", "import"]).arg(&file).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(
        String::from_utf8(again.stdout).unwrap().contains("merged Acme into Acme (already saved); nothing changed")
    );
}

#[test]
fn a_workbook_imports_from_the_sheet_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let book = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/engine/tests/fixtures/vendors.xls");
    let out = switchboard(dir.path()).args(["contacts", "import", "--sheet", "Drivers"]).arg(&book).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("row 1 (line 2): imported Maria Lopez\n"), "{text}");
    assert!(text.ends_with("vendors.xls (sheet Drivers): imported 1, merged 0, rejected 0 of 1 rows\n"), "{text}");

    let other = dir.path().join("notes.pdf");
    std::fs::write(&other, b"%PDF-1.7\n\0\0binary").unwrap();
    let out = switchboard(dir.path()).args(["contacts", "import"]).arg(&other).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("not a spreadsheet, CSV or JSON file: {}", other.display())), "{stderr}");
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchboard(dir.path()).args(["contacts", "import", "/nonexistent/vendors.csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot read /nonexistent/vendors.csv"), "{stderr}");
}

#[test]
fn a_vendor_quote_campaign_runs_headless_to_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendors.csv");
    std::fs::write(
        &file,
        "name,phone,item,quantity,target_price\n\
         Acme Fasteners,(312) 555-0143,M8 bolts,10000,0.42\n\
         Great Lakes,+1 216 555 0187,M8 bolts,10000,0.42\n\
         Pacific Bolt,503.555.0119,M8 bolts,10000,0.42\n\
         No Area Code,555-0142,M8 bolts,10000,0.42\n",
    )
    .unwrap();
    let data = dir.path().join("profile");
    let out = switchboard(&data)
        .args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--time-scale", "500", "--json"])
        .args(["--cast", "cooperative", "--ignore-windows"])
        .args(["--item", "M8x50 hex bolts", "--quantity", "10000", "--unit", "pcs", "--target-price", "0.45"])
        .args(["--deliver-to", "Dock 4, Joliet IL", "--needed-by", "2099-03-01", "--notes", "zinc plated"])
        .arg("--contacts")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rejected No Area Code"), "the bad row is reported: {stderr}");
    assert!(stderr.contains("note: item, quantity, target_price ignored"), "the old columns are noted: {stderr}");
    assert!(stderr.contains("round 1 [##############################] 3/3"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["kind"], "quotes");
    assert_eq!((summary["quotesReceived"].as_u64(), summary["suppliersCalled"].as_u64()), (Some(3), Some(3)));
    assert_eq!(summary["ranked"][0]["rank"], 1);
    assert_eq!(summary["targetPrice"], 0.45, "the request's target, not the vendors' old column");
    assert!(summary["targetNote"].as_str().unwrap().contains("$0.45"), "{summary}");

    let list = switchboard(&data).args(["campaign", "list"]).output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("vendor-quote") && list.contains("completed"), "{list}");
    let show = switchboard(&data).args(["campaign", "show", "1"]).output().unwrap();
    let show = String::from_utf8(show.stdout).unwrap();
    assert!(show.contains("round 1  Acme Fasteners") && show.contains("Order from"), "{show}");
}

#[test]
fn a_quote_run_with_a_bad_request_is_refused_naming_the_flag_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendors.csv");
    std::fs::write(&file, "name,phone\nZenith Bolts,(312) 555-0199\n").unwrap();
    let data = dir.path().join("profile");
    let run = |request: &[&str]| {
        let out = switchboard(&data)
            .args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--contacts"])
            .arg(&file)
            .args(request)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "refused");
        String::from_utf8(out.stderr).unwrap()
    };
    let stderr = run(&["--item", "M8 bolts", "--quantity", "100", "--target-price", "-0.4"]);
    assert!(
        stderr.contains("--target-price: the target price is above $0 and at most $1000000 per unit, not -0.4"),
        "{stderr}"
    );
    let stderr = run(&["--item", "M8 bolts", "--quantity", "100", "--needed-by", "2001-01-01"]);
    assert!(stderr.contains("--needed-by: the needed-by date 2001-01-01 is in the past"), "{stderr}");
    let stderr = run(&["--quantity", "100"]);
    assert!(stderr.contains("a vendor-quote campaign says what to quote: give --item and --quantity"), "{stderr}");
    let imported: i64 = rusqlite::Connection::open(data.join("switchboard.sqlite3"))
        .and_then(|db| db.query_row("SELECT COUNT(*) FROM contacts WHERE name = 'Zenith Bolts'", [], |row| row.get(0)))
        .unwrap_or(0);
    assert_eq!(imported, 0, "a refused run imports nothing");
}

#[test]
fn a_one_off_call_with_an_action_and_context_runs_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchboard(dir.path())
        .args(["call", "--phone", "(312) 555-0177", "--callee-name", "John", "--organization", "Downtown Dental"])
        .args(["--action", "Confirm your dentist appointment Thursday at 2pm"])
        .args(["--context", "Dr. Smith, Suite 200. Rescheduling available Mon-Fri.", "--time-scale", "500"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.starts_with(
            "agent   Hi John, I'm calling from Downtown Dental about this: Confirm your dentist appointment Thursday at 2pm."
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\ncompleted: ") && stdout.contains("confirmed: yes"), "{stdout}");

    // The call is in History: found by a phrase, exported as a transcript and as CSV.
    let found = switchboard(dir.path()).args(["history", "search", "\"dentist appointment\""]).output().unwrap();
    let found = String::from_utf8_lossy(&found.stdout);
    assert!(found.contains("call 1 line 0 (John): ") && found.contains("[dentist appointment]"), "{found}");
    let text = switchboard(dir.path()).args(["history", "export", "--call", "1", "--format", "text"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with("Call 1 — John (+13125550177)\n") && text.contains("Collected confirmed: yes"), "{text}");
    let csv_path = dir.path().join("call.csv");
    let csv = switchboard(dir.path())
        .args(["history", "export", "--call", "1", "--format", "csv", "--out"])
        .arg(&csv_path)
        .output()
        .unwrap();
    assert!(csv.status.success());
    assert!(std::fs::read_to_string(&csv_path).unwrap().starts_with("call_id,placed_at,contact,"));
    let xlsx_path = dir.path().join("call.xlsx");
    let xlsx = switchboard(dir.path())
        .args(["history", "export", "--call", "1", "--format", "xlsx", "--out"])
        .arg(&xlsx_path)
        .output()
        .unwrap();
    assert!(xlsx.status.success(), "{}", String::from_utf8_lossy(&xlsx.stderr));
    let read = |path| CallCsvRow::read(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(read(&xlsx_path), read(&csv_path), "the .xlsx export holds what the CSV does");
    let missing = switchboard(dir.path()).args(["history", "export", "--call", "99"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("call 99"));

    let refused = switchboard(dir.path()).args(["call", "--phone", "12", "--action", "x"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot call Callee: \"12\""));
}

#[test]
fn a_headless_campaign_says_why_it_pauses_while_the_database_is_locked_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_vendors(dir.path());
    let data = dir.path().join("profile");
    let run = switchboard(&data)
        .args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--time-scale", "10"])
        .args([
            "--cast",
            "cooperative",
            "--ignore-windows",
            "--concurrency",
            "1",
            "--item",
            "M8 bolts",
            "--quantity",
            "100",
        ])
        .arg("--contacts")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once a call is talking, another program holds the write lock past the 5 s busy timeout.
    let database = data.join("switchboard.sqlite3");
    until_database(&database, "no call began talking", "SELECT COUNT(*) FROM transcript_lines", |lines: i64| lines > 0);
    let other = rusqlite::Connection::open(&database).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(7_000));
    other.execute_batch("COMMIT").unwrap();
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let paused = format!(
        "cannot write to {}: the database is locked by another program; the campaign is paused",
        database.display()
    );
    assert!(stderr.contains(&paused), "{stderr}");
    assert!(stderr.contains("the database can be written again; the campaign goes on"), "{stderr}");
}

#[test]
fn a_campaign_stopped_in_error_is_shown_with_its_reason_and_resumed_headless() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("profile");
    // The first command creates the profile's database with the sample agents and vendors.
    assert!(switchboard(&data).args(["campaign", "list"]).output().unwrap().status.success());
    {
        let store = switchboard_store::Store::open(&data.join("switchboard.sqlite3")).unwrap();
        let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
        let vendors: Vec<_> = store
            .list_contacts()
            .unwrap()
            .into_iter()
            .filter(|c| c.fields.name == "Acme Fasteners" || c.fields.name == "Pacific Bolt & Nut")
            .map(|c| c.id)
            .collect();
        assert_eq!(vendors.len(), 2);
        let spec = serde_json::json!({
            "name": "M8 bolts", "kind": "vendor-quote", "agentId": agent.id.0, "negotiationAgentId": null,
            "contacts": vendors.iter().map(|c| c.0).collect::<Vec<_>>(), "concurrency": 2, "maxAttempts": 1,
            "retrySpacingMs": 0, "ignoreCallingWindows": true,
        });
        let id = store
            .insert_campaign("M8 bolts", "vendor-quote", &spec.to_string(), &vendors, switchboard_core::UnixMillis(1))
            .unwrap();
        store.fail_campaign(id, "database error: CHECK constraint failed").unwrap();
    }
    let list = switchboard(&data).args(["campaign", "list"]).output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("error") && list.contains("stopped: database error: CHECK constraint failed"), "{list}");

    let resumed = switchboard(&data)
        .args(["campaign", "resume", "1", "--json", "--time-scale", "500", "--cast", "cooperative"])
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(summary["quotesReceived"].as_u64(), Some(2));
    let show = switchboard(&data).args(["campaign", "show", "1"]).output().unwrap();
    let show = String::from_utf8(show.stdout).unwrap();
    assert!(show.starts_with("M8 bolts (vendor-quote, completed, round 1)"), "{show}");
}

#[test]
fn a_headless_campaign_stops_at_its_budget_and_goes_on_with_a_higher_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_vendors(dir.path());
    let data = dir.path().join("profile");
    // A tenth of a cent: the first call starts with nothing spent, and costs more than that.
    let run = switchboard(&data)
        .args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--time-scale", "500"])
        .args(["--cast", "cooperative", "--ignore-windows", "--concurrency", "1", "--budget", "0.001"])
        .args(["--item", "M8 bolts", "--quantity", "100", "--json"])
        .arg("--contacts")
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let database = data.join("switchboard.sqlite3");
    let reason = "SELECT status_reason FROM campaigns WHERE id = 1";
    until_database(&database, "the budget never stopped the campaign", reason, |reason: Option<String>| {
        reason.as_deref() == Some("budget reached")
    });
    let show = switchboard(&data).args(["campaign", "show", "1"]).output().unwrap();
    let show = String::from_utf8(show.stdout).unwrap();
    assert!(show.contains("paused: budget reached") && show.contains("budget: $0.0010"), "{show}");
    assert!(show.contains("spent: $0.0") && show.contains("on 1 calls (estimate)"), "{show}");

    let low = switchboard(&data).args(["campaign", "resume", "1", "--budget", "0.001"]).output().unwrap();
    assert!(!low.status.success());
    let why = String::from_utf8_lossy(&low.stderr);
    assert!(why.contains("a budget of $0.0010 is not above the $0.0") && why.contains("no call could start"), "{why}");
    let higher = switchboard(&data).args(["campaign", "resume", "1", "--budget", "100"]).output().unwrap();
    assert!(higher.status.success(), "{}", String::from_utf8_lossy(&higher.stderr));

    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("(paused: budget reached)"), "{stderr}");
    let show = switchboard(&data).args(["campaign", "show", "1"]).output().unwrap();
    let show = String::from_utf8(show.stdout).unwrap();
    assert!(show.contains("completed") && show.contains("budget: $100.0000"), "{show}");
}

#[test]
fn rehearse_runs_an_agents_suite_and_fails_when_a_scenario_does() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchboard(dir.path()).args(["rehearse", "--agent", "vendor quote", "--runs", "2"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("Vendor quote (version "), "{stdout}");
    assert!(stdout.contains("\npass  2/2  Cooperative rep quotes\n"), "{stdout}");
    assert!(stdout.ends_with("\n8 of 8 scenarios passed\n"), "{stdout}");

    // The agent loses its unit price: the scenarios that need it fail, with the reason.
    let store = switchboard_store::Store::open(&dir.path().join("switchboard.sqlite3")).unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let mut config = agent.config.clone();
    config.data_fields.retain(|field| field.key != "unit_price");
    store.update_agent(agent.id, &config).unwrap();
    drop(store);
    let out = switchboard(dir.path())
        .args(["rehearse", "--agent", "Vendor quote", "--scenario", "cooperative rep quotes", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["results"].as_array().unwrap().len(), 1);
    let checks = report["results"][0]["runs"][0]["checks"].as_array().unwrap();
    let failed: Vec<&serde_json::Value> = checks.iter().filter(|check| check["passed"] == false).collect();
    assert_eq!(failed.len(), 1, "{checks:?}");
    assert_eq!(failed[0]["expectation"], "fields.unit_price");
    assert_eq!(failed[0]["reason"], "not collected");

    let unknown =
        switchboard(dir.path()).args(["rehearse", "--agent", "Vendor quote", "--scenario", "x"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("has no scenario \"x\"; its scenarios: Cooperative rep quotes")
    );
    let no_key = switchboard(dir.path())
        .env_remove("ANTHROPIC_API_KEY")
        .args(["rehearse", "--agent", "Vendor quote", "--mode", "text", "--no-keychain"])
        .output()
        .unwrap();
    assert_eq!(no_key.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("need an Anthropic API key"));
    // An agent on the simulator has no hosted provider to rehearse at: the mode says why.
    let no_provider =
        switchboard(dir.path()).args(["rehearse", "--agent", "Vendor quote", "--mode", "provider"]).output().unwrap();
    assert_eq!(no_provider.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_provider.stderr).contains("runs on Switchboard's own turn code"));
}

#[test]
fn ctrl_c_during_a_call_ends_it_through_its_backend_and_waits_for_its_end() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = switchboard(dir.path())
        .args(["call", "--phone", "(312) 555-0177", "--callee-name", "John", "--action", "Confirm Thursday at 2pm"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // At real speed the call is still talking when its first line is printed.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("agent   Hi John"), "{first}");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("switchboard: ending the call"), "{stderr}");
    assert!(rest.contains("\ncanceled: ended by the dispatcher"), "{first}{rest}\n{stderr}");
    assert_eq!(status.code(), Some(1), "a call that did not complete");
    let text = switchboard(dir.path()).args(["history", "export", "--call", "1", "--format", "text"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("canceled") && text.contains("ended by the dispatcher"), "{text}");
}
