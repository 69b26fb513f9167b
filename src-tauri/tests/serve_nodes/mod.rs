//! `switchboard serve` nodes on one Postgres, for the test that kills them and the benchmark
//! that times them: a node process with its own data directory, and a quote campaign stored as a
//! launch stores it (the nodes pick it up).

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use switchboard_core::{ContactId, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::sample;
use switchboard_fakes::fixtures;
use switchboard_store::Store;

/// The simulator's time scale the nodes run at.
pub const TIME_SCALE: &str = "2000";

/// One `serve` node: its data directory (kept across its restarts) and its process (killed if
/// the test ends first).
pub struct Node {
    pub dir: tempfile::TempDir,
    pub process: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Node {
    /// A node whose heartbeat stops being waited for soon, its simulated calls time-compressed.
    pub fn start(url: &str, dir: tempfile::TempDir) -> Node {
        Node::start_with(url, dir, |serve| {
            serve
                .args(["--heartbeat-ms", "250", "--node-expiry-ms", "2000"])
                .env("SWITCHBOARD_SIM_TIME_SCALE", TIME_SCALE);
        })
    }

    /// A node, its command first given more (arguments, environment, where its output goes) by
    /// `more`; its log goes to `serve.log` in its directory.
    pub fn start_with(url: &str, dir: tempfile::TempDir, more: impl FnOnce(&mut Command)) -> Node {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.path().join("serve.log")).unwrap();
        let mut serve = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        serve
            .env("SWITCHBOARD_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .args(["serve", "--no-keychain", "--database", url, "--drain-secs", "30"])
            .stdout(Stdio::null())
            .stderr(log);
        more(&mut serve);
        // A listener on any free port, unless `more` chose one.
        if !serve.get_args().any(|arg| arg == "--port") {
            serve.args(["--port", "0"]);
        }
        Node { dir, process: serve.spawn().unwrap() }
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    pub fn kill_and_restart(&mut self, url: &str) {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
        self.start_again(url);
    }

    /// Starts the node again if it exited by itself, as its supervisor would (a node that could
    /// not beat its heart in time fences itself: it hangs up its calls and exits); whether it did.
    pub fn restart_if_exited(&mut self, url: &str) -> bool {
        if self.process.try_wait().unwrap().is_none() {
            return false;
        }
        self.start_again(url);
        true
    }

    /// A new process of this node, on the same data directory.
    fn start_again(&mut self, url: &str) {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        *self = Node::start(url, dir);
    }

    /// Stops the node with SIGTERM (it drains and leaves); returns whether it exited with 0.
    pub fn terminate(&mut self) -> (bool, String) {
        let pid = self.process.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.exited_within(Duration::from_secs(60));
        let status = status.unwrap_or_else(|| panic!("node {pid} did not stop"));
        (status.success(), log_tail(self.dir.path()))
    }

    /// How the process exited, waiting up to `within`; `None` while it runs on.
    pub fn exited_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub fn log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Stores the campaign as a launch does; the nodes pick it up (each runs a runner of it).
pub fn launch(store: &Store, vendors: usize, max_attempts: u32) -> (i64, CampaignSpec) {
    sample::seed_shipped(store).unwrap();
    let writes = fixtures::vendor_writes(vendors, 312);
    let contacts: Vec<ContactId> =
        store.write_contacts(&writes, UnixMillis(1)).unwrap().into_iter().map(Result::unwrap).collect();
    let agents = store.list_agents().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a.config.name == name).unwrap().id;
    let spec = CampaignSpec {
        name: "nodes".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: agent("Vendor quote"),
        negotiation_agent_id: Some(agent("Vendor negotiation")),
        contacts,
        concurrency: 75,
        max_attempts,
        retry_spacing_ms: 10,
        ignore_calling_windows: true,
        budget_usd: None,
        request: Some(fixtures::bolts_request(10_000)),
    };
    let json = serde_json::to_string(&spec).unwrap();
    let id = store.insert_campaign(&spec.name, spec.kind.as_str(), &json, &spec.contacts, UnixMillis(2)).unwrap();
    (id, spec)
}
