//! Opening the database file: creation, reopening, and clear errors for bad paths.

use switchboard_store::{Store, StoreError};

use crate::seeded;

#[test]
fn creates_the_file_and_its_directory_and_keeps_data_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile/nested/switchboard.sqlite3");
    {
        let store = Store::open(&path).unwrap();
        seeded(&store);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.list_agents().unwrap().len(), 1);
    assert_eq!(store.list_contacts().unwrap().len(), 5);
    let journal: String =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn samples_are_seeded_only_once() {
    let store = Store::open_in_memory().unwrap();
    seeded(&store);
    assert!(!store.seed_samples_once(&[], &[], switchboard_core::UnixMillis(2)).unwrap());
    assert_eq!(store.list_contacts().unwrap().len(), 5);
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.sqlite3");
    std::fs::write(&path, "vendor,phone\nAcme,555\n".repeat(100)).unwrap();
    let err = Store::open(&path).err().expect("a text file is not a database");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()) && message.contains("not a database"), "{message}");
}

#[test]
fn a_directory_that_cannot_be_created_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let path = blocker.join("data/switchboard.sqlite3");
    let err = Store::open(&path).err().expect("a path under a file cannot be created");
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains(&blocker.join("data").display().to_string()), "{err}");
}

#[test]
fn foreign_keys_are_enforced() {
    let store = Store::open_in_memory().unwrap();
    let call = switchboard_store::NewCall {
        contact_id: switchboard_core::ContactId(41),
        agent_id: switchboard_core::AgentId(42),
        backend: switchboard_core::BackendKind::Simulator,
        phone_e164: "+13125550143".into(),
        created_at: switchboard_core::UnixMillis(1),
        campaign: None,
    };
    let err = store.insert_call(&call).expect_err("no such contact or agent");
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[test]
fn openers_racing_on_a_new_file_all_succeed_and_migrate_it_once() {
    const OPENERS: usize = 6;
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchboard.sqlite3");
        let start = std::sync::Barrier::new(OPENERS);
        let opened: Vec<Result<Store, StoreError>> = std::thread::scope(|scope| {
            let openers: Vec<_> = (0..OPENERS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        Store::open(&path)
                    })
                })
                .collect();
            openers.into_iter().map(|opener| opener.join().unwrap()).collect()
        });
        for result in &opened {
            assert!(result.is_ok(), "round {round}: {:?}", result.as_ref().err());
        }
        drop(opened);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        let latest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap().count();
        assert_eq!(version, latest as i64, "round {round}");
        let tables: i64 =
            conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'meta'", [], |row| row.get(0)).unwrap();
        assert_eq!(tables, 1, "round {round}");
    }
}

/// Mounts a 1 MiB tmpfs at `dir` with `options`; the reason when this machine does not allow it.
fn mount_tmpfs(dir: &std::path::Path, options: &str) -> Result<(), String> {
    let output = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("{options},size=1m"), "tmpfs"])
        .arg(dir)
        .output()
        .map_err(|err| format!("cannot run mount: {err}"))?;
    output.status.success().then_some(()).ok_or_else(|| String::from_utf8_lossy(&output.stderr).trim().to_owned())
}

#[test]
fn a_read_only_data_directory_is_called_read_only() {
    let dir = tempfile::tempdir().unwrap();
    if let Err(reason) = mount_tmpfs(dir.path(), "ro") {
        eprintln!("skipped: this machine does not let the test mount a read-only tmpfs ({reason})");
        return;
    }
    let path = dir.path().join("switchboard.sqlite3");
    let result = Store::open(&path);
    let _ = std::process::Command::new("umount").arg(dir.path()).status();
    let message = result.err().expect("nothing can be created there").to_string();
    assert_eq!(message, format!("cannot open the database at {}: the data directory is read-only", path.display()));
}
