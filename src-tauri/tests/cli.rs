//! The headless `switchboard contacts import` command, run as a user would run it.

use std::process::Command;

fn switchboard(data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.env("SWITCHBOARD_DATA_DIR", data).env("RUST_LOG", "warn");
    command
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
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchboard(dir.path()).args(["contacts", "import", "/nonexistent/vendors.csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot read /nonexistent/vendors.csv"), "{stderr}");
}
