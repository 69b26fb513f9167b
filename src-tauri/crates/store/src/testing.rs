//! A throwaway PostgreSQL for tests. Every test process of a run shares one cluster, started by
//! the first and stopped when the last has gone; each test gets a database of its own, copied
//! from a migrated template. A test that must restart or reconfigure its server starts a
//! [`PrivateCluster`]. Needs Debian's `postgresql` package (`scripts/setup.sh test`).
//!
//! The shared cluster lives in a directory of the temporary directory named by the migrations
//! it was made for. Two file locks there keep it safe with many processes: `setup.lock`
//! (exclusive) is held by whoever starts or stops the server, `users.lock` (shared) by every
//! process using it, for its whole life, so the kernel lets go of it however the process ends.
//! Each process leaves a watcher that, a few seconds after the process is gone, takes `setup.lock` and stops
//! the server if no process holds `users.lock`. A server left by a killed run is used when it
//! answers and its template is complete, else stopped and made anew.

use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::Store;

/// The database every test database is copied from, migrated once.
const TEMPLATE: &str = "switchboard_template";

/// How long the cluster outlives its last user: the test runner starts the next test process
/// meanwhile, which then finds it running.
const LINGER_SECONDS: u32 = 5;

/// Written once the template is migrated: a cluster without it was left half-made.
const READY: &str = "ready";

/// This process's share of the cluster: the port, and the lock that says it is in use.
struct Shared {
    port: u16,
    next_database: AtomicU64,
    _user: File,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

/// A store on a new, empty (migrated) database of the shared cluster.
pub fn postgres_store() -> Store {
    Store::open_postgres(&postgres_url()).expect("open the test database")
}

/// The URL of a new, empty (migrated) database of the shared cluster. (Made on a thread of its
/// own: the `postgres` client may not run inside an async test's runtime.)
pub fn postgres_url() -> String {
    std::thread::spawn(new_database).join().expect("a test database")
}

fn new_database() -> String {
    let shared = SHARED.get_or_init(Shared::join);
    let n = shared.next_database.fetch_add(1, Ordering::Relaxed);
    let name = format!("test_{}_{n}", std::process::id());
    let mut admin = client(shared.port, "postgres");
    // The template's last connection may still be closing on the server, or another process
    // may be copying it: wait for it.
    let mut tries = 0;
    while let Err(error) = admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")) {
        tries += 1;
        assert!(tries < 250, "cannot create test database {name}: {error}");
        std::thread::sleep(Duration::from_millis(20));
    }
    url(shared.port, &name)
}

impl Shared {
    /// Joins the run's cluster, starting it (or replacing a stale one) if needed.
    fn join() -> Shared {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!("switchboard-pg-{:016x}", cluster_key(&bin)));
        std::fs::create_dir_all(&dir).expect("the shared cluster's directory");
        let setup = lock_file(&dir.join("setup.lock"));
        setup.lock().expect("lock the shared cluster's set-up");
        let user = lock_file(&dir.join("users.lock"));
        user.lock_shared().expect("join the shared cluster");
        let port = match running_port(&dir) {
            Some(port) => port,
            None => {
                stop(&bin, &dir.join("data"));
                let _ = std::fs::remove_dir_all(dir.join("data"));
                let _ = std::fs::remove_file(dir.join(READY));
                let port = init_and_start(&bin, &dir, &[]);
                make_template(port);
                std::fs::write(dir.join("port"), port.to_string()).expect("note the port");
                std::fs::write(dir.join(READY), "").expect("mark the cluster ready");
                port
            }
        };
        stop_when_last_gone(&bin, &dir);
        setup.unlock().expect("unlock the shared cluster's set-up");
        Shared { port, next_database: AtomicU64::new(1), _user: user }
    }
}

/// What the cluster is made for: the server's programs and the Postgres migrations (a template
/// migrated by another schema is another cluster's).
fn cluster_key(bin: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    bin.hash(&mut hasher);
    crate::schema::postgres::MIGRATIONS.hash(&mut hasher);
    hasher.finish()
}

fn lock_file(path: &Path) -> File {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap_or_else(|err| panic!("cannot open {}: {err}", path.display()))
}

/// The port of a complete cluster in `dir` that answers, if there is one.
fn running_port(dir: &Path) -> Option<u16> {
    if !dir.join(READY).exists() {
        return None;
    }
    let port = std::fs::read_to_string(dir.join("port")).ok()?.trim().parse().ok()?;
    let config = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=5");
    postgres::Client::connect(&config, postgres::NoTls).ok().map(|_| port)
}

fn make_template(port: u16) {
    client(port, "postgres").batch_execute(&format!("CREATE DATABASE {TEMPLATE}")).expect("create the template");
    drop(Store::open_postgres(&url(port, TEMPLATE)).expect("migrate the template"));
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{database}")
}

fn client(port: u16, database: &str) -> postgres::Client {
    postgres::Client::connect(&url(port, database), postgres::NoTls).expect("connect to the test cluster")
}

/// A cluster of one test's own, for a test that restarts its server or configures it (TLS):
/// made with [`PrivateCluster::init`], started with [`PrivateCluster::start`], stopped and
/// removed when dropped.
pub struct PrivateCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: Option<u16>,
    options: Vec<String>,
}

impl PrivateCluster {
    /// A new cluster, not started: files may be put in its data directory first.
    pub fn init() -> PrivateCluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("switchboard-pg-own-").tempdir().expect("temporary directory").keep();
        as_postgres_owner(&dir);
        initdb(&bin, &dir.join("data"));
        PrivateCluster { bin, dir, port: None, options: Vec::new() }
    }

    /// Writes a file into the data directory, readable by the server alone.
    pub fn put_file(&self, name: &str, contents: &[u8]) {
        let path = self.dir.join("data").join(name);
        std::fs::write(&path, contents).expect("write into the data directory");
        as_postgres_owner(&path);
        let status = Command::new("chmod").arg("0600").arg(&path).status().expect("chmod");
        assert!(status.success(), "cannot restrict {}", path.display());
    }

    /// Starts the server with `options` (each a `name=value` setting) and an empty database
    /// `switchboard`; returns its port.
    pub fn start(&mut self, options: &[&str]) -> u16 {
        self.options = options.iter().map(|option| (*option).to_owned()).collect();
        let port = start_on_free_port(&self.bin, &self.dir, &self.dir.join("data"), &self.options);
        // Through the socket: the test's pg_hba.conf may refuse unencrypted TCP.
        let socket = format!("host={} port={port} user=postgres dbname=postgres", path(&self.dir));
        let mut admin = postgres::Client::connect(&socket, postgres::NoTls).expect("connect to the private cluster");
        admin.batch_execute("CREATE DATABASE switchboard").expect("create the database");
        self.port = Some(port);
        port
    }

    /// Stops the server as an administrator restarting it would: sessions are ended at once,
    /// what was committed is kept.
    pub fn stop(&self) {
        let status = command(&self.bin, "pg_ctl")
            .args(["-D", path(&self.dir.join("data")), "-m", "fast", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl");
        assert!(status.success(), "the server did not stop");
    }

    /// Starts the stopped server again, on the same port.
    pub fn restart(&self) {
        let port = self.port.expect("a started cluster");
        assert!(start(&self.bin, &self.dir, &self.dir.join("data"), port, &self.options), "the server did not restart");
    }

    /// The process id of its server (the postmaster, parent of every other process of it).
    pub fn server_pid(&self) -> i32 {
        let pid = std::fs::read_to_string(self.dir.join("data").join("postmaster.pid")).expect("a started cluster");
        pid.lines().next().and_then(|line| line.parse().ok()).expect("postmaster.pid names the server's process")
    }

    /// The URL of its `switchboard` database, as `host` (`127.0.0.1` or `localhost`).
    pub fn url(&self, host: &str) -> String {
        format!("postgres://postgres@{host}:{}/switchboard", self.port.expect("a started cluster"))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        stop(&self.bin, &self.dir.join("data"));
        let _ = std::fs::remove_dir_all(&self.dir);
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
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0"))
}

fn as_postgres_owner(path: &Path) {
    if running_as_root() {
        let status = Command::new("chown").arg("postgres:postgres").arg(path).status().expect("chown");
        assert!(status.success(), "cannot give {} to the postgres user", path.display());
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

fn initdb(bin: &Path, data: &Path) {
    let args = ["-D", path(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"];
    let out = command(bin, "initdb").args(args).stdin(Stdio::null()).output().expect("initdb");
    assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A new cluster in `dir`, started on a free port.
fn init_and_start(bin: &Path, dir: &Path, options: &[String]) -> u16 {
    as_postgres_owner(dir);
    initdb(bin, &dir.join("data"));
    start_on_free_port(bin, dir, &dir.join("data"), options)
}

/// Starts the server on a free loopback port (trying again if another took it first).
fn start_on_free_port(bin: &Path, dir: &Path, data: &Path, options: &[String]) -> u16 {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        if start(bin, dir, data, port, options) {
            return port;
        }
    }
    panic!("the test PostgreSQL did not start: see {}", dir.join("server.log").display());
}

fn start(bin: &Path, dir: &Path, data: &Path, port: u16, options: &[String]) -> bool {
    let mut settings = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400",
        path(dir)
    );
    for option in options {
        settings.push_str(&format!(" -c {option}"));
    }
    let log = dir.join("server.log");
    command(bin, "pg_ctl")
        .args(["-D", path(data), "-l", path(&log), "-o", &settings, "-w", "start"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("pg_ctl")
        .success()
}

/// Stops the server of `data` at once, if one runs.
fn stop(bin: &Path, data: &Path) {
    if data.join("postmaster.pid").exists() {
        let _ = command(bin, "pg_ctl")
            .args(["-D", path(data), "-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A watcher that, a little while after this process is gone, stops the shared cluster if no other process uses
/// it (see the module's doc). It is never waited for.
fn stop_when_last_gone(bin: &Path, dir: &Path) {
    let pg_ctl = bin.join("pg_ctl");
    let data = dir.join("data");
    let stop = if running_as_root() {
        format!("runuser -u postgres -- {} -D {} -m immediate stop", path(&pg_ctl), path(&data))
    } else {
        format!("{} -D {} -m immediate stop", path(&pg_ctl), path(&data))
    };
    let last_out = format!(
        "flock -xn {users} true && {{ rm -f {ready}; {stop}; rm -rf {data}; }}",
        users = path(&dir.join("users.lock")),
        ready = path(&dir.join(READY)),
        data = path(&data),
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; sleep {LINGER_SECONDS}; \
         flock -x {setup} sh -c '{last_out}' >/dev/null 2>&1",
        pid = std::process::id(),
        setup = path(&dir.join("setup.lock")),
    );
    // In a process group of its own: a test runner stopping this test's group leaves it be.
    // Never waited for: it outlives this process.
    #[expect(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &script])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cluster's watcher");
}
