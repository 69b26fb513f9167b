//! A throwaway PostgreSQL for tests: one cluster per test process (initdb into a temporary
//! directory, started on a free loopback port), a fresh database per store, all removed when
//! the process ends. Needs Debian's `postgresql` package (`scripts/setup.sh test`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::Store;

/// The database every test database is copied from, migrated once.
const TEMPLATE: &str = "switchboard_template";

struct Cluster {
    port: u16,
    next_database: AtomicU64,
    /// Stops the server and removes its directory once this process is gone (never waited for).
    _watcher: std::process::Child,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// A store on a new, empty (migrated) database of this process's cluster.
pub fn postgres_store() -> Store {
    Store::open_postgres(&postgres_url()).expect("open the test database")
}

/// The URL of a new, empty (migrated) database of this process's cluster. (Made on a thread of
/// its own: the `postgres` client may not run inside an async test's runtime.)
pub fn postgres_url() -> String {
    std::thread::spawn(new_database).join().expect("a test database")
}

fn new_database() -> String {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    let name = format!("test_{}", cluster.next_database.fetch_add(1, Ordering::Relaxed));
    let mut admin = cluster.client("postgres");
    // The template's last connection may still be closing on the server: wait for it.
    let mut tries = 0;
    while let Err(error) = admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")) {
        tries += 1;
        assert!(tries < 100, "cannot create test database {name}: {error}");
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.url(&name)
}

impl Cluster {
    fn start() -> Cluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("switchboard-pg-").tempdir().expect("temporary directory").keep();
        let data = dir.join("data");
        as_postgres_owner(&dir);
        run(
            &bin,
            "initdb",
            &["-D", path(&data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        );
        let port = start_on_free_port(&bin, &dir, &data);
        let watcher = remove_when_gone(&bin, &dir, &data);
        let cluster = Cluster { port, next_database: AtomicU64::new(1), _watcher: watcher };
        cluster.client("postgres").batch_execute(&format!("CREATE DATABASE {TEMPLATE}")).expect("create the template");
        drop(Store::open_postgres(&cluster.url(TEMPLATE)).expect("migrate the template"));
        cluster
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn client(&self, database: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(database), postgres::NoTls).expect("connect to the test cluster")
    }
}

/// Where PostgreSQL's programs are: `SWITCHBOARD_PG_BIN`, else Debian's newest version.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SWITCHBOARD_PG_BIN") {
        return dir.into();
    }
    let versions = std::fs::read_dir("/usr/lib/postgresql").into_iter().flatten().flatten();
    versions
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .max()
        .expect("PostgreSQL is not installed: run `scripts/setup.sh test` (Debian's postgresql package)")
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// Root may not run the server: the cluster then belongs to the `postgres` user.
fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn as_postgres_owner(dir: &Path) {
    if running_as_root() {
        let status = Command::new("chown").args(["postgres:postgres", path(dir)]).status().expect("chown");
        assert!(status.success(), "cannot give {} to the postgres user", dir.display());
    }
}

/// `program` from `bin`, as the `postgres` user when running as root.
fn command(bin: &Path, program: &str) -> Command {
    let program = bin.join(program);
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(bin: &Path, program: &str, args: &[&str]) {
    let out = command(bin, program).args(args).stdin(Stdio::null()).output().expect(program);
    assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Starts the server on a free loopback port (trying again if another took it first).
fn start_on_free_port(bin: &Path, dir: &Path, data: &Path) -> u16 {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            path(dir)
        );
        let log = dir.join("server.log");
        let started = command(bin, "pg_ctl")
            .args(["-D", path(data), "-l", path(&log), "-o", &options, "-w", "start"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl");
        if started.success() {
            return port;
        }
    }
    panic!("the test PostgreSQL did not start: see {}", dir.join("server.log").display());
}

/// A watcher that stops the server and removes its directory once this process is gone.
fn remove_when_gone(bin: &Path, dir: &Path, data: &Path) -> std::process::Child {
    let pg_ctl = bin.join("pg_ctl");
    let stop = if running_as_root() {
        format!("runuser -u postgres -- {} -D {} -m immediate stop", path(&pg_ctl), path(data))
    } else {
        format!("{} -D {} -m immediate stop", path(&pg_ctl), path(data))
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = path(dir),
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cluster's watcher")
}
