//! The webhook inbox: verified provider webhooks, stored before they are answered and processed
//! afterwards; a redelivery (same provider and event key) is recognised at insert. Shared by the
//! nodes of one database: any node stores a webhook, the node running its call applies it, and a
//! node claims a row before applying it, so two nodes never both apply one.

use crate::db::{Dialect, PgTarget, Row, params};
use switchboard_core::{CallId, UnixMillis};

use crate::{Result, Store};

/// The Postgres channel a stored webhook is announced on.
const NEW_WEBHOOK: &str = "webhook_inbox";

/// Watches for webhooks stored by any node; stops when dropped.
pub struct WebhookWatch {
    _listener: crate::db::pg_listen::PgListener,
}

/// A verified webhook about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook<'a> {
    pub provider: &'a str,
    pub route: &'a str,
    /// The provider's idempotency key for the event.
    pub event_key: &'a str,
    pub received_at: UnixMillis,
    pub request_id: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// What storing a webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxInsert {
    /// A new row, committed, with its id.
    Inserted(i64),
    /// The provider sent this event before; nothing was written.
    Duplicate,
}

/// A stored webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: i64,
    pub provider: String,
    pub route: String,
    pub event_key: String,
    pub received_at: UnixMillis,
    pub request_id: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub processed_at: Option<UnixMillis>,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The node that took the row to apply it, if one did.
    pub claimed_by: Option<i64>,
}

/// How many webhooks the inbox holds, by fate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxCounts {
    pub total: u32,
    /// Waiting to be processed.
    pub pending: u32,
    /// Refused by processing and parked with their reason.
    pub failed: u32,
}

const SELECT_WEBHOOK: &str = "SELECT id, provider, route, event_key, received_at, request_id, content_type, body,
        processed_at, attempts, last_error, claimed_by FROM webhook_inbox";

impl Store {
    /// Stores a webhook and commits it, unless one with the same provider and event key is
    /// already there. The commit is synced to disk (`synchronous = FULL` for this statement):
    /// once the listener acknowledges the webhook the provider will not send it again, so it
    /// must survive a power cut, not only the app being killed.
    pub fn insert_webhook(&self, webhook: &NewWebhook<'_>) -> Result<InboxInsert> {
        let mut conn = self.conn()?;
        conn.sync_each_commit(true)?;
        let inserted = conn.query_opt(
            "INSERT INTO webhook_inbox (provider, route, event_key, received_at, request_id, content_type, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (provider, event_key) DO NOTHING RETURNING id",
            params![
                webhook.provider,
                webhook.route,
                webhook.event_key,
                webhook.received_at.0,
                webhook.request_id,
                webhook.content_type,
                webhook.body
            ],
            |row| row.get(0),
        );
        conn.sync_each_commit(false)?;
        let inserted = inserted?;
        if inserted.is_some() && conn.dialect() == Dialect::Postgres {
            // Wakes the other nodes' processors (see `Store::watch_new_webhooks`).
            conn.execute(&format!("SELECT pg_notify('{NEW_WEBHOOK}', '')"), &[])?;
        }
        Ok(inserted.map_or(InboxInsert::Duplicate, InboxInsert::Inserted))
    }

    /// Calls `wake` whenever any process sharing the database stores a webhook (on Postgres,
    /// through LISTEN on a connection of its own), until the returned watch is dropped. `None`
    /// on SQLite, where only this process stores webhooks.
    pub fn watch_new_webhooks(&self, wake: impl Fn() + Send + 'static) -> Option<WebhookWatch> {
        match &self.connections {
            crate::Connections::Postgres(_, target) => Some(WebhookWatch {
                _listener: crate::db::pg_listen::listen(PgTarget::clone(target), NEW_WEBHOOK, move |_| wake()),
            }),
            crate::Connections::Sqlite(_) => None,
        }
    }

    /// Up to `limit` webhooks neither processed nor parked as failed, oldest first, from those
    /// stored after the one with id `after` (0 for all): a pass that leaves a row pending moves on.
    pub fn unprocessed_webhooks(&self, after: i64, limit: u32) -> Result<Vec<WebhookRow>> {
        let mut conn = self.conn()?;
        let rows = conn.query_map(
            &format!(
                "{SELECT_WEBHOOK} WHERE processed_at IS NULL AND last_error IS NULL AND id > ?1 ORDER BY id LIMIT ?2"
            ),
            params![after, limit],
            read_webhook,
        )?;
        Ok(rows)
    }

    /// One stored webhook.
    pub fn webhook(&self, id: i64) -> Result<Option<WebhookRow>> {
        self.conn()?.query_opt(&format!("{SELECT_WEBHOOK} WHERE id = ?1"), params![id], read_webhook)
    }

    /// The live node that applies the webhooks of call `id`: the one running it. `None` when
    /// no live node runs it (a call made before nodes were kept, one whose node has ended, one
    /// passed to no node): then whichever node comes first applies them.
    pub fn webhook_applier(&self, id: CallId) -> Result<Option<i64>> {
        let owner = self.conn()?.query_opt(
            "SELECT calls.node_id FROM calls JOIN nodes ON nodes.id = calls.node_id
             WHERE calls.id = ?1 AND nodes.ended_at IS NULL",
            params![id.0],
            |row| row.get(0),
        )?;
        Ok(owner)
    }

    /// Takes pending webhook `id` for this store's node to apply (a compare-and-swap: it is
    /// unclaimed, claimed by this node already, or by a node that has ended). Returns false when
    /// another live node holds it, it is no longer pending, or this node has ended. A store that
    /// registered no node takes every row (it is the only one applying them).
    pub fn claim_webhook(&self, id: i64) -> Result<bool> {
        let Some(node) = self.node() else { return Ok(true) };
        let changed = self.conn()?.execute(
            "UPDATE webhook_inbox SET claimed_by = ?2
             WHERE id = ?1 AND processed_at IS NULL AND last_error IS NULL
               AND EXISTS (SELECT 1 FROM nodes WHERE id = ?2 AND ended_at IS NULL)
               AND (claimed_by IS NULL OR claimed_by = ?2
                    OR claimed_by IN (SELECT id FROM nodes WHERE ended_at IS NOT NULL))",
            params![id, node],
        )?;
        Ok(changed == 1)
    }

    /// Marks a webhook as applied.
    pub fn mark_webhook_processed(&self, id: i64, at: UnixMillis) -> Result<()> {
        self.conn()?.execute(
            "UPDATE webhook_inbox SET processed_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, at.0],
        )?;
        Ok(())
    }

    /// Parks a webhook that processing cannot apply, with the reason; it is not retried.
    pub fn mark_webhook_failed(&self, id: i64, error: &str) -> Result<()> {
        self.conn()?.execute(
            "UPDATE webhook_inbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    /// How many webhooks are stored, pending and failed.
    pub fn inbox_counts(&self) -> Result<InboxCounts> {
        self.conn()?.query_row(
            "SELECT COUNT(*),
                    COUNT(*) FILTER (WHERE processed_at IS NULL AND last_error IS NULL),
                    COUNT(*) FILTER (WHERE processed_at IS NULL AND last_error IS NOT NULL)
             FROM webhook_inbox",
            &[],
            |row| Ok(InboxCounts { total: row.get(0)?, pending: row.get(1)?, failed: row.get(2)? }),
        )
    }
}

fn read_webhook(row: &Row<'_>) -> Result<WebhookRow> {
    Ok(WebhookRow {
        id: row.get(0)?,
        provider: row.get(1)?,
        route: row.get(2)?,
        event_key: row.get(3)?,
        received_at: UnixMillis(row.get(4)?),
        request_id: row.get(5)?,
        content_type: row.get(6)?,
        body: row.get(7)?,
        processed_at: row.get::<Option<i64>>(8)?.map(UnixMillis),
        attempts: row.get(9)?,
        last_error: row.get(10)?,
        claimed_by: row.get(11)?,
    })
}
