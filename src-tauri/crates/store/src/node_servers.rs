//! Where each node's team server is reached: a node publishes its advertised URL and its
//! certificate's SHA-256 in its registry row, and another node reads them to reach the node that
//! runs a call (listening in on it there, the certificate pinned to what was published).

use switchboard_core::CallId;

use crate::db::params;
use crate::{Result, Store};

/// The node running a call, and its team server as it published it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningNode {
    pub id: i64,
    /// `https://host:port`; `None` when the node did not know it (nor was told).
    pub team_url: Option<String>,
    /// SHA-256 of its team server's certificate; `None` when it serves no team server.
    pub cert_sha256: Option<String>,
    /// It has ended (left, or found dead).
    pub ended: bool,
}

impl Store {
    /// Publishes how the other nodes reach node `node`'s team server: its URL (`None`: unknown)
    /// and its certificate's SHA-256.
    pub fn publish_team_server(&self, node: i64, url: Option<&str>, cert_sha256: &str) -> Result<()> {
        self.conn()?.execute(
            "UPDATE nodes SET advertise_url = ?2, cert_sha256 = ?3 WHERE id = ?1",
            params![node, url, cert_sha256],
        )?;
        Ok(())
    }

    /// The node running call `call` when that is another node than this store's and the call
    /// is still open; `None` for a call this node runs, one no node runs, one over, or none.
    pub fn call_running_elsewhere(&self, call: CallId) -> Result<Option<RunningNode>> {
        self.conn()?.query_opt(
            "SELECT nodes.id, nodes.advertise_url, nodes.cert_sha256, nodes.ended_at
             FROM calls JOIN nodes ON nodes.id = calls.node_id
             WHERE calls.id = ?1 AND calls.ended_at IS NULL AND calls.node_id <> ?2",
            params![call.0, self.node().unwrap_or(0)],
            |row| {
                Ok(RunningNode {
                    id: row.get(0)?,
                    team_url: row.get(1)?,
                    cert_sha256: row.get(2)?,
                    ended: row.get::<Option<i64>>(3)?.is_some(),
                })
            },
        )
    }
}
