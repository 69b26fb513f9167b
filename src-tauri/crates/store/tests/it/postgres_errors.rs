//! Postgres refusing a write for a passing reason is a `WriteFailure`, as SQLite's are: the
//! engine notes it, stops reserving targets and tries again (see `Store::note_write`).

use switchboard_store::{Store, WriteFailure};

use crate::TestDb;

fn url() -> String {
    let TestDb::Postgres(url) = TestDb::postgres() else { unreachable!("a Postgres database") };
    url
}

fn admin(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

#[test]
fn a_write_waiting_on_another_connections_lock_fails_as_locked() {
    let url = url();
    let store = Store::open_postgres(&url).unwrap();
    let mut other = admin(&url);
    other.batch_execute("BEGIN; LOCK TABLE settings IN ACCESS EXCLUSIVE MODE").unwrap();
    let err = store.set_setting("default_region", "US").expect_err("the table is locked");
    assert_eq!(err.write_failure(), Some(WriteFailure::Locked), "{err}");
    other.batch_execute("ROLLBACK").unwrap();
    store.set_setting("default_region", "US").unwrap();
}

#[test]
fn a_read_only_database_is_a_passing_write_failure_at_open() {
    let url = url();
    let name = url.rsplit('/').next().unwrap().to_owned();
    admin(&url).batch_execute(&format!("ALTER DATABASE {name} SET default_transaction_read_only = on")).unwrap();
    let err = Store::open_postgres(&url).err().expect("a read-only database cannot be migrated");
    assert_eq!(err.write_failure(), Some(WriteFailure::ReadOnly), "{err}");
    assert!(err.to_string().contains(&name) && !err.to_string().contains("password"), "{err}");
}
