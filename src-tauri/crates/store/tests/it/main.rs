//! Integration tests of the store, each on an SQLite file and on a real Postgres database.

/// Runs each named test (a `fn name(db: &TestDb)` of the module) twice: as `sqlite::name` on an
/// SQLite file and as `postgres::name` on a database of the test process's Postgres cluster.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&crate::TestDb::sqlite())
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name(&crate::TestDb::postgres())
            })*
        }
    };
}

mod analytics;
mod calls;
mod campaigns;
mod costs;
mod history;
mod inbox;
mod open;
mod rehearsals;
mod reviews;
mod search;

use switchboard_core::{AgentConfig, ContactFields, Phone, UnixMillis, parse_phone};
use switchboard_store::Store;

/// The database a test runs on: an SQLite file in a temporary directory, or a Postgres database.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().unwrap())
    }

    pub fn postgres() -> TestDb {
        TestDb::Postgres(switchboard_store::testing::postgres_url())
    }

    /// A store on the database; each call opens another connection, as another process would.
    pub fn open(&self) -> Store {
        match self {
            TestDb::Sqlite(dir) => Store::open(&dir.path().join("switchboard.sqlite3")).unwrap(),
            TestDb::Postgres(url) => Store::open_postgres(url).unwrap(),
        }
    }

    /// Runs statements the store has no method for (a test's own edits) on a connection of its own.
    pub fn execute(&self, sql: &str) {
        match self {
            TestDb::Sqlite(dir) => {
                rusqlite::Connection::open(dir.path().join("switchboard.sqlite3")).unwrap().execute_batch(sql).unwrap()
            }
            TestDb::Postgres(url) => {
                postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap()
            }
        }
    }

    /// One integer a query returns, read on a connection of its own.
    pub fn query_i64(&self, sql: &str) -> i64 {
        match self {
            TestDb::Sqlite(dir) => rusqlite::Connection::open(dir.path().join("switchboard.sqlite3"))
                .unwrap()
                .query_row(sql, [], |row| row.get(0))
                .unwrap(),
            TestDb::Postgres(url) => {
                postgres::Client::connect(url, postgres::NoTls).unwrap().query_one(sql, &[]).unwrap().get(0)
            }
        }
    }
}

/// A store seeded with the shipped sample agents and vendors.
pub fn seeded(store: &Store) {
    let agents: Vec<AgentConfig> =
        serde_json::from_str(format!("[{}]", include_str!("../../../../../assets/presets/vendor-quote.json")).as_str())
            .unwrap();
    let vendors: Vec<ContactFields> =
        serde_json::from_str(include_str!("../../../../../assets/sample/vendors.json")).unwrap();
    let vendors: Vec<(ContactFields, Option<Phone>)> =
        vendors.into_iter().map(|v| (v.clone(), parse_phone(&v.phone, "US").ok())).collect();
    assert!(store.seed_samples_once(&agents, &vendors, UnixMillis(1)).unwrap());
}
