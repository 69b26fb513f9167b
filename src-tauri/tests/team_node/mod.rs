//! A `switchboard serve --team` node of a shared Postgres, for the tests of a team across nodes,
//! and the accounts they sign in with.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use rustls::ClientConfig;
use switchboard_fakes::team_announcement::team_server_address;

use super::serve_nodes::Node;
use super::team_client::{PASSWORD, TeamServer, trusting};

/// A `serve --team` node on the shared database.
pub struct TeamNode {
    pub node: Node,
    pub address: String,
    pub fingerprint: String,
    pub cert: PathBuf,
}

impl TeamServer for TeamNode {
    fn address(&self) -> &str {
        &self.address
    }
}

impl TeamNode {
    /// A node whose simulated calls run in real time.
    pub fn start(url: &str) -> Self {
        Self::start_at(url, "1")
    }

    /// A node whose simulated calls run at `time_scale` (1: real time).
    pub fn start_at(url: &str, time_scale: &str) -> Self {
        let mut node = Node::start_with(url, tempfile::tempdir().unwrap(), |serve| {
            serve
                .args(["--team", "--bind", "127.0.0.1:0", "--heartbeat-ms", "500", "--node-expiry-ms", "10000"])
                .env("SWITCHBOARD_SIM_TIME_SCALE", time_scale)
                .env("SWITCHBOARD_SIM_CAST", "cooperative")
                .stdout(Stdio::piped());
        });
        let (address, fingerprint) = team_server_address(&mut node.process);
        let cert = node.dir.path().join("team-tls/cert.pem");
        Self { node, address, fingerprint, cert }
    }

    pub fn tls(&self) -> Arc<ClientConfig> {
        trusting(&self.cert)
    }
}

/// `switchboard team add-user NAME --role ROLE --database URL`, the password on standard input.
pub fn add_user(url: &str, name: &str, role: &str) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .env("SWITCHBOARD_DATA_DIR", profile.path())
        .args(["team", "add-user", name, "--role", role, "--database", url])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
}
