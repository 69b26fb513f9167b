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
mod mirror;
mod node_servers;
mod nodes;
mod open;
mod postgres_connection;
mod postgres_errors;
mod recordings;
mod rehearsals;
mod relay;
mod reviews;
mod search;
mod target_queue;
mod team;

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

    /// The rows a query returns (integer and text columns only), read on a connection of its own.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        match self {
            TestDb::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("switchboard.sqlite3")).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let columns = stmt.column_count();
                let rows = stmt.query_map([], |row| {
                    (0..columns)
                        .map(|i| {
                            Ok(match row.get_ref(i)? {
                                rusqlite::types::ValueRef::Text(text) => {
                                    Cell::Text(String::from_utf8_lossy(text).into())
                                }
                                value => Cell::Int(value.as_i64()?),
                            })
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()
                });
                rows.unwrap().map(Result::unwrap).collect()
            }
            TestDb::Postgres(url) => {
                let rows = postgres::Client::connect(url, postgres::NoTls).unwrap().query(sql, &[]).unwrap();
                rows.iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| match *row.columns()[i].type_() {
                                postgres::types::Type::TEXT => Cell::Text(row.get(i)),
                                postgres::types::Type::INT4 => Cell::Int(row.get::<_, i32>(i).into()),
                                _ => Cell::Int(row.get(i)),
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }
}

/// A column [`TestDb::rows`] read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    Int(i64),
    Text(String),
}

impl Cell {
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(int) => *int,
            Cell::Text(text) => panic!("{text:?} is not an integer"),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Int(int) => panic!("{int} is not text"),
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
