//! Relays a node's committed events to the other nodes of its shared (Postgres) database, and
//! theirs to its bus, so a console signed in to any node sees every node's calls. Publishing only
//! offers the event to a bounded queue (when it is full the event is dropped and counted, and
//! the others are told to re-read); a thread of its own NOTIFYs the queue in batches, one
//! transaction each, every event numbered in its node's order. The listening side publishes
//! other nodes' events on the local bus, never relaying them again, and turns whatever it cannot
//! vouch for (a gap in a node's numbers, an event too big to carry, a reconnect) into
//! [`EngineEvent::EventsMissed`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{BlockingRetryable as _, ExponentialBuilder};
use serde::{Deserialize, Serialize};
use switchboard_store::{ListenNotice, MAX_RELAYED_BYTES, RelaySender, RelayWatch, Store};

use crate::{EngineEvent, EventBus};

/// Events waiting to leave, at most; beyond, publishing drops them (counted).
const QUEUE: usize = 4_096;
/// Events NOTIFYed in one transaction, at most.
const BATCH: usize = 256;
/// How often the sending thread looks whether it should stop or report drops.
const TICK: Duration = Duration::from_millis(500);
/// How long starting waits for the first LISTEN.
const LISTEN_WAIT: Duration = Duration::from_secs(10);

/// What a relay has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayCounts {
    /// Events sent to the other nodes.
    pub sent: u64,
    /// Events never sent: the queue was full, or sending kept failing.
    pub dropped: u64,
    /// Events too big for a notification (sent as a notice to re-read instead).
    pub too_big: u64,
    /// Other nodes' events published on this node's bus.
    pub received: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    too_big: AtomicU64,
    received: AtomicU64,
}

/// Where a relaying bus hands this node's events (see [`EventBus::publish`]).
pub(crate) struct Outlet {
    queue: SyncSender<Outgoing>,
    counters: Arc<Counters>,
}

impl Outlet {
    /// Queues `event` for the other nodes, if they get it; never waits.
    pub(crate) fn offer(&self, event: &Arc<EngineEvent>) {
        if !event.is_relayed() {
            return;
        }
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send(Outgoing::Event(Arc::clone(event)))
        {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

enum Outgoing {
    Event(Arc<EngineEvent>),
    /// Answered once everything queued before it was sent (or given up).
    Flush(mpsc::Sender<()>),
}

/// One notification: an event of node `origin`, the `seq`th it sent; no event means "events of
/// mine were lost: re-read".
#[derive(Serialize)]
struct Envelope<'a> {
    origin: i64,
    seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a EngineEvent>,
}

#[derive(Deserialize)]
struct Received {
    origin: i64,
    seq: u64,
    event: Option<EngineEvent>,
}

/// A node's relay, running until dropped.
pub struct Relay {
    queue: SyncSender<Outgoing>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    _watch: RelayWatch,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Relay {
    /// Relays the events `bus` publishes as node `node`'s, and publishes the other nodes' on
    /// it; returns once listening (or after a while without). `None` on SQLite (no other node)
    /// or when `bus` relays already.
    pub(crate) fn start(store: &Store, bus: &EventBus, node: i64) -> Option<Relay> {
        let sender = store.relay_sender()?;
        let counters = Arc::new(Counters::default());
        let (listening_tx, listening) = mpsc::channel();
        let listening_tx = Mutex::new(listening_tx);
        let receiving = Receiving { node, bus: bus.clone(), counters: Arc::clone(&counters), seen: Mutex::default() };
        let watch = store.watch_relayed(move |notice| {
            if notice == (ListenNotice::Listening { resumed: false }) {
                let _ = listening_tx.lock().map(|tx| tx.send(()));
            } else {
                receiving.take(notice);
            }
        })?;
        let (queue, outgoing) = mpsc::sync_channel(QUEUE);
        if !bus.relay_to(Outlet { queue: queue.clone(), counters: Arc::clone(&counters) }) {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let sending = Sending { node, sender, counters: Arc::clone(&counters), seq: 0, dropped_told: 0 };
        let stopped = Arc::clone(&stop);
        let spawned =
            std::thread::Builder::new().name("event relay".to_owned()).spawn(move || sending.run(&outgoing, &stopped));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the thread relaying events to the other nodes");
        }
        if listening.recv_timeout(LISTEN_WAIT).is_err() {
            tracing::warn!("not listening for the other nodes' events yet; going on (consoles re-read once it does)");
        }
        Some(Relay { queue, counters, stop, _watch: watch })
    }

    /// What it has done so far.
    pub fn counts(&self) -> RelayCounts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RelayCounts {
            sent: read(&self.counters.sent),
            dropped: read(&self.counters.dropped),
            too_big: read(&self.counters.too_big),
            received: read(&self.counters.received),
        }
    }

    /// A way to wait, from any thread, until the events published so far have left.
    pub(crate) fn flusher(&self) -> Flusher {
        Flusher(self.queue.clone())
    }
}

/// Waits until the events published before have been sent (see [`Relay::flusher`]).
pub(crate) struct Flusher(SyncSender<Outgoing>);

impl Flusher {
    /// Blocks until every event published before was sent (or given up), at most `wait` once
    /// queued; false when it was not.
    pub(crate) fn flush(&self, wait: Duration) -> bool {
        let (done, flushed) = mpsc::channel();
        self.0.send(Outgoing::Flush(done)).is_ok() && flushed.recv_timeout(wait).is_ok()
    }
}

/// The sending thread's state.
struct Sending {
    node: i64,
    sender: RelaySender,
    counters: Arc<Counters>,
    /// The number the next notification takes.
    seq: u64,
    /// Drops the other nodes were told of.
    dropped_told: u64,
}

impl Sending {
    fn run(mut self, outgoing: &mpsc::Receiver<Outgoing>, stop: &AtomicBool) {
        loop {
            let first = match outgoing.recv_timeout(TICK) {
                Ok(first) => Some(first),
                Err(RecvTimeoutError::Timeout) if stop.load(Ordering::Relaxed) => return,
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut batch = Vec::new();
            let mut flushes = Vec::new();
            for next in first.into_iter().chain(std::iter::from_fn(|| outgoing.try_recv().ok())).take(BATCH) {
                match next {
                    Outgoing::Event(event) => batch.push(self.payload(Some(&event))),
                    Outgoing::Flush(done) => flushes.push(done),
                }
            }
            let dropped = self.counters.dropped.load(Ordering::Relaxed);
            if dropped > self.dropped_told {
                tracing::warn!(
                    dropped = dropped - self.dropped_told,
                    "events could not be relayed to the other nodes in time; their consoles re-read"
                );
                self.dropped_told = dropped;
                batch.push(self.payload(None));
            }
            self.send(&batch);
            for done in flushes {
                let _ = done.send(());
            }
        }
    }

    /// The next notification, carrying `event`, or a notice to re-read (also in place of an
    /// event too big to carry).
    fn payload(&mut self, event: Option<&EngineEvent>) -> String {
        let seq = self.seq;
        self.seq += 1;
        let json = |event| serde_json::to_string(&Envelope { origin: self.node, seq, event });
        match json(event) {
            Ok(payload) if payload.len() <= MAX_RELAYED_BYTES => payload,
            too_big => {
                self.counters.too_big.fetch_add(1, Ordering::Relaxed);
                let size = too_big.map_or(0, |payload| payload.len());
                tracing::warn!(size, "an event is too big to relay; the other nodes' consoles re-read instead");
                json(None).unwrap_or_default()
            }
        }
    }

    /// Sends `batch`, trying again a few times; given up, its events count as dropped.
    fn send(&mut self, batch: &[String]) {
        if batch.is_empty() {
            return;
        }
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(1))
            .with_max_times(4);
        let sent = (|| self.sender.send(batch))
            .retry(backoff)
            .notify(|error, _| tracing::warn!(%error, "cannot relay events to the other nodes; trying again"))
            .call();
        let count = batch.len() as u64;
        match sent {
            Ok(()) => self.counters.sent.fetch_add(count, Ordering::Relaxed),
            Err(error) => {
                tracing::error!(%error, events = count, "gave up relaying events to the other nodes");
                self.counters.dropped.fetch_add(count, Ordering::Relaxed)
            }
        };
    }
}

/// The listening side's state.
struct Receiving {
    node: i64,
    bus: EventBus,
    counters: Arc<Counters>,
    /// The last number seen from each other node.
    seen: Mutex<HashMap<i64, u64>>,
}

impl Receiving {
    fn take(&self, notice: ListenNotice) {
        let payload = match notice {
            ListenNotice::Notified(payload) => payload,
            ListenNotice::Listening { .. } => {
                tracing::warn!("listening for the other nodes' events again; consoles re-read what they missed");
                return self.bus.publish_relayed(EngineEvent::EventsMissed);
            }
        };
        let received: Received = match serde_json::from_str(&payload) {
            Ok(received) => received,
            Err(error) => {
                tracing::warn!(%error, "an event relayed by another node cannot be read; consoles re-read");
                return self.bus.publish_relayed(EngineEvent::EventsMissed);
            }
        };
        if received.origin == self.node {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let last = seen.get(&received.origin).copied();
        if last.is_some_and(|last| received.seq <= last) {
            // Sent again after a send whose end was not heard: had already.
            return;
        }
        seen.insert(received.origin, received.seq);
        drop(seen);
        let gap = last.is_some_and(|last| received.seq > last + 1);
        if gap || received.event.is_none() {
            self.bus.publish_relayed(EngineEvent::EventsMissed);
        }
        if let Some(event) = received.event {
            self.counters.received.fetch_add(1, Ordering::Relaxed);
            self.bus.publish_relayed(event);
        }
    }
}

impl crate::Engine {
    /// What this node's relay has done so far; `None` when it relays nothing (SQLite, or not
    /// registered as a node).
    pub fn relay_counts(&self) -> Option<RelayCounts> {
        self.relay.as_ref().map(Relay::counts)
    }
}
