//! The node registry: `serve` nodes sharing one database register, beat their hearts with their
//! load, and end (leaving, or found dead by another node, which closes their open calls). A
//! node's id is its fencing token: once its row has ended, every write about its calls and
//! leases is refused ([`StoreError::Fenced`]), checked under a shared lock on the row that the
//! ending takes exclusively, so no write slips in between.

use switchboard_core::{CallId, UnixMillis};

use crate::db::{Conn, Dialect, Row, params};
use crate::{Result, Store, StoreError};

/// A node as the registry has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub id: i64,
    pub host: String,
    pub pid: u32,
    pub started_at: UnixMillis,
    pub heartbeat_at: UnixMillis,
    /// Calls it had on the line at its last heartbeat.
    pub calls: u32,
    /// The most calls it takes on at once.
    pub max_calls: u32,
    /// It is stopping: it takes no new work.
    pub draining: bool,
    pub ended_at: Option<UnixMillis>,
    pub end_reason: Option<String>,
}

/// Who a node is when it registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNode<'a> {
    pub host: &'a str,
    pub pid: u32,
    pub max_calls: u32,
    pub now: UnixMillis,
}

/// How a node's end treats its calls still open: calls on a backend in `kept` run on at their
/// provider (which reports their end to any node), so they pass to the node `adopter` (`None`:
/// to none, the shared inbox applies their report); every other call's connection died with the
/// node, so it is closed as lost with `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEnd<'a> {
    pub reason: &'a str,
    pub kept: &'a [&'a str],
    pub adopter: Option<i64>,
    pub now: UnixMillis,
}

/// A node another one found dead, and what its end did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedNode {
    pub id: i64,
    /// Its calls closed as lost.
    pub lost: Vec<CallId>,
    /// Its calls passed to the adopter.
    pub adopted: Vec<CallId>,
}

/// The lease owner a node's runners reserve campaign targets as.
pub fn node_lease_owner(id: i64) -> String {
    format!("node {id}")
}

const SELECT_NODE: &str =
    "SELECT id, host, pid, started_at, heartbeat_at, calls, max_calls, draining, ended_at, end_reason
     FROM nodes";

impl Store {
    /// Registers this store's process as a new node and returns its id; from now on the store
    /// stamps its calls with it and refuses its writes about calls and leases once it has ended.
    pub fn register_node(&self, node: &NewNode<'_>) -> Result<i64> {
        let mut conn = self.conn()?;
        let id: i64 = conn.query_row(
            "INSERT INTO nodes (host, pid, started_at, heartbeat_at, max_calls) VALUES (?1, ?2, ?3, ?3, ?4)
             RETURNING id",
            params![node.host, node.pid, node.now.0, node.max_calls],
            |row| row.get(0),
        )?;
        self.node.set(id).map_err(|_| StoreError::Corrupt("this store has registered a node already".to_owned()))?;
        Ok(id)
    }

    /// The node this store registered, if it did.
    pub fn node(&self) -> Option<i64> {
        self.node.get().copied()
    }

    /// Beats this node's heart with its load. Returns false when the node has ended (another
    /// found it dead): it must take no more work.
    pub fn node_heartbeat(&self, calls: usize, draining: bool, now: UnixMillis) -> Result<bool> {
        let Some(id) = self.node() else { return Ok(false) };
        let changed = self.conn()?.execute(
            "UPDATE nodes SET heartbeat_at = ?2, calls = ?3, draining = ?4 WHERE id = ?1 AND ended_at IS NULL",
            params![id, now.0, calls, draining],
        )?;
        Ok(changed == 1)
    }

    /// Every node, newest first.
    pub fn nodes(&self) -> Result<Vec<NodeRow>> {
        self.conn()?.query_map(&format!("{SELECT_NODE} ORDER BY id DESC"), &[], read_node)
    }

    /// Ends every other node whose heartbeat is older than `expired_before`, each with its calls
    /// and leases as `end` says (this node adopts). A node another one is ending now is skipped.
    pub fn reap_nodes(&self, expired_before: UnixMillis, end: &NodeEnd<'_>) -> Result<Vec<EndedNode>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let lock = if tx.dialect() == Dialect::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let dead: Vec<i64> = tx.query_map(
            &format!(
                "SELECT id FROM nodes WHERE ended_at IS NULL AND heartbeat_at < ?1 AND id <> ?2 ORDER BY id{lock}"
            ),
            params![expired_before.0, self.node().unwrap_or(0)],
            |row| row.get(0),
        )?;
        let mut ended = Vec::with_capacity(dead.len());
        for id in dead {
            ended.push(end_node(&mut tx, id, end)?);
        }
        tx.commit()?;
        Ok(ended)
    }

    /// Ends this node (it is leaving), its calls still open and its leases as `end` says.
    pub fn leave_node(&self, end: &NodeEnd<'_>) -> Result<Option<EndedNode>> {
        let Some(id) = self.node() else { return Ok(None) };
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let lock = if tx.dialect() == Dialect::Postgres { " FOR UPDATE" } else { "" };
        let alive = tx
            .query_opt(&format!("SELECT id FROM nodes WHERE id = ?1 AND ended_at IS NULL{lock}"), params![id], |_| {
                Ok(())
            })?
            .is_some();
        let ended = if alive { Some(end_node(&mut tx, id, end)?) } else { None };
        tx.commit()?;
        Ok(ended)
    }

    /// Refuses the write in `tx` when this store's node has ended; holds the node's row shared
    /// until `tx` ends, so the node cannot be ended while the write commits.
    pub(crate) fn check_fence(&self, tx: &mut Conn) -> Result<()> {
        let Some(id) = self.node() else { return Ok(()) };
        let lock = if tx.dialect() == Dialect::Postgres { " FOR SHARE" } else { "" };
        let alive = tx.query_opt(
            &format!("SELECT id FROM nodes WHERE id = ?1 AND ended_at IS NULL{lock}"),
            params![id],
            |_| Ok(()),
        )?;
        alive.ok_or(StoreError::Fenced(id))
    }
}

/// Ends node `id` inside `tx`: its row, its open calls, and the leases it held.
fn end_node(tx: &mut Conn, id: i64, end: &NodeEnd<'_>) -> Result<EndedNode> {
    tx.execute("UPDATE nodes SET ended_at = ?2, end_reason = ?3 WHERE id = ?1", params![id, end.now.0, end.reason])?;
    let mut adopted = Vec::new();
    for backend in end.kept {
        adopted.extend(tx.query_map(
            "UPDATE calls SET node_id = ?3 WHERE node_id = ?1 AND ended_at IS NULL AND backend = ?2 RETURNING id",
            params![id, backend, end.adopter],
            |row| Ok(CallId(row.get(0)?)),
        )?);
    }
    let lost = tx.query_map(
        "UPDATE calls SET state = 'lost', end_reason = ?2, ended_at = ?3
         WHERE node_id = ?1 AND ended_at IS NULL RETURNING id",
        params![id, end.reason, end.now.0],
        |row| Ok(CallId(row.get(0)?)),
    )?;
    // Its targets go to whichever runner comes first, which settles each by its call's end.
    tx.execute(
        "UPDATE campaign_targets SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?1",
        params![node_lease_owner(id)],
    )?;
    Ok(EndedNode { id, lost, adopted })
}

fn read_node(row: &Row<'_>) -> Result<NodeRow> {
    Ok(NodeRow {
        id: row.get(0)?,
        host: row.get(1)?,
        pid: row.get(2)?,
        started_at: UnixMillis(row.get(3)?),
        heartbeat_at: UnixMillis(row.get(4)?),
        calls: row.get(5)?,
        max_calls: row.get(6)?,
        draining: row.get(7)?,
        ended_at: row.get::<Option<i64>>(8)?.map(UnixMillis),
        end_reason: row.get(9)?,
    })
}
