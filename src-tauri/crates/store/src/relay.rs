//! Events relayed between the nodes of one Postgres database: a sender NOTIFYs them in batches,
//! one transaction each, on a connection of its own, and a watch LISTENs for them on another.
//! Payloads are text the store does not read; the engine says what they hold.

use crate::db::PgTarget;
use crate::db::pg_listen::{ListenNotice, PgListener, listen};
use crate::{Connections, Result, Store, StoreError};

/// The channel events are relayed on.
const EVENTS: &str = "engine_events";

/// The longest payload one notification carries: Postgres refuses 8000 bytes and more.
pub const MAX_RELAYED_BYTES: usize = 7_999;

/// Sends payloads to every node listening ([`Store::watch_relayed`]), its own process too.
pub struct RelaySender {
    target: PgTarget,
    /// The connection, made at the first send and again after one fails.
    client: Option<(postgres::Client, postgres::Statement)>,
}

impl RelaySender {
    /// Notifies `payloads` in this order, in one transaction: every listener gets all of them
    /// in order, or (when this fails) none. A payload of more than [`MAX_RELAYED_BYTES`] fails
    /// the whole batch: check sizes first.
    pub fn send(&mut self, payloads: &[String]) -> Result<()> {
        if payloads.is_empty() {
            return Ok(());
        }
        let (client, notify) = match &mut self.client {
            Some(connected) => connected,
            None => {
                let database = &self.target.database;
                let mut client = self
                    .target
                    .config
                    .connect(self.target.tls.clone())
                    .map_err(|source| StoreError::Connect { database: database.clone(), source })?;
                // `unnest` yields the array in order, and the notifications of one transaction
                // are delivered in the order they were made.
                let notify = client
                    .prepare(&format!("SELECT pg_notify('{EVENTS}', payload) FROM unnest($1::text[]) AS payload"))?;
                self.client.insert((client, notify))
            }
        };
        let sent = client.execute(&*notify, &[&payloads]);
        if sent.is_err() {
            self.client = None;
        }
        sent?;
        Ok(())
    }
}

/// Listens for relayed payloads; stops when dropped.
pub struct RelayWatch {
    _listener: PgListener,
}

impl Store {
    /// A sender of payloads to the nodes sharing this database, on a connection of its own;
    /// `None` on SQLite, which no other process shares.
    pub fn relay_sender(&self) -> Option<RelaySender> {
        match &self.connections {
            Connections::Postgres(_, target) => Some(RelaySender { target: PgTarget::clone(target), client: None }),
            Connections::Sqlite(_) => None,
        }
    }

    /// Calls `on_notice` with every payload any process sends ([`RelaySender::send`]), this one's
    /// too, each time listening starts (again after a lost connection: what was sent meanwhile
    /// is missed), until the watch is dropped. `None` on SQLite.
    pub fn watch_relayed(&self, on_notice: impl Fn(ListenNotice) + Send + 'static) -> Option<RelayWatch> {
        match &self.connections {
            Connections::Postgres(_, target) => {
                Some(RelayWatch { _listener: listen(PgTarget::clone(target), EVENTS, on_notice) })
            }
            Connections::Sqlite(_) => None,
        }
    }
}
