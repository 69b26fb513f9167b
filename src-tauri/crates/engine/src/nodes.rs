//! This engine as a node of a team sharing one Postgres database: it registers, beats its heart
//! with its load, ends the nodes whose heartbeat stopped (closing their calls as lost, so their
//! targets are retried by the campaigns' rules), picks up campaigns launched on other nodes, puts
//! the recordings its disk still holds in the database, and leaves when it stops. A node found
//! dead by another, or whose heartbeat cannot reach the database, fences itself (see `fence`):
//! it hangs up its calls and stops.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::UnixMillis;
use switchboard_store::{EndedNode, NewNode, NodeEnd, Store, node_lease_owner};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::relay::Relay;
use crate::{Engine, EngineError, EngineEvent, EventBus, blocking, now};

/// Why the calls of a node found dead were closed.
pub const NODE_DIED: &str = "the node running the call stopped answering; the call was lost with it";

/// Why the calls a stopping node could not wait for were closed.
pub const NODE_LEFT: &str = "the node running the call stopped before the call ended";

/// How long a leaving node waits for the other nodes to be sent what its end closed.
const LEAVE_FLUSH: Duration = Duration::from_secs(5);

/// How a node keeps its place among the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSettings {
    /// How often it beats its heart (and looks for dead nodes and new campaigns).
    pub heartbeat: Duration,
    /// How long a node's heartbeat may be silent before another declares it dead.
    pub expiry: Duration,
}

impl Default for NodeSettings {
    fn default() -> Self {
        Self { heartbeat: Duration::from_secs(5), expiry: Duration::from_secs(20) }
    }
}

/// This process's host name, as the registry shows it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown host".to_owned())
}

impl Engine {
    /// Registers this process as a node (with the campaign-call limit it takes on), from now on
    /// leasing targets as the node, and ends the nodes already dead. Returns the node's id.
    pub async fn register_node(&mut self, settings: NodeSettings) -> Result<i64, EngineError> {
        let (store, kept, bus) = (Arc::clone(self.store()), self.kept_backends(), self.bus().clone());
        let max_calls = u32::try_from(self.max_campaign_calls()).unwrap_or(u32::MAX);
        let sent = Instant::now();
        let (id, relay) = blocking(move || {
            let node = NewNode { host: &host_name(), pid: std::process::id(), max_calls, now: now() };
            let id = store.register_node(&node)?;
            tracing::info!(node = id, "registered as a node of the shared database");
            let relay = Relay::start(&store, &bus, id);
            reap(&store, settings, &kept, &bus)?;
            Ok::<_, EngineError>((id, relay))
        })
        .await?;
        self.last_beat.reached(sent);
        self.relay = relay;
        self.lease_as(node_lease_owner(id));
        Ok(id)
    }

    /// Starts beating this node's heart every `settings.heartbeat`: with its load and whether
    /// it drains, ending dead nodes, and starting the runners of campaigns it does not run yet
    /// (launched on another node). When the node finds itself ended by another, or no heartbeat
    /// has reached the database for `settings.fence_after()`, it fences itself (hangs up its
    /// calls, takes no more work) and `fenced` becomes true.
    pub fn spawn_node_watch(self: &Arc<Self>, settings: NodeSettings, fenced: watch::Sender<bool>) -> JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            // The heart beats on a task of its own (stopped with this one), so a beat stuck on a
            // dead connection cannot hold up the watchdog.
            let mut beating = JoinSet::new();
            beating.spawn(Arc::clone(&engine).beat_until_ended(settings));
            // The housework (reaping, uploads, campaigns) has a task of its own too: however
            // long it takes, it never delays a beat into a fence.
            let mut housework = JoinSet::new();
            housework.spawn(Arc::clone(&engine).keep_house(settings));
            tokio::select! {
                _ = beating.join_next() => {
                    tracing::error!("another node declared this one dead; it hangs up its calls and stops");
                }
                () = engine.last_beat.silent_for(settings.fence_after()) => tracing::error!(
                    silent_ms = settings.fence_after().as_millis(),
                    "no heartbeat reached the shared database; this node hangs up its calls and stops \
                     before another declares it dead"
                ),
            }
            engine.fence(settings.hang_up_within()).await;
            let _ = fenced.send(true);
        })
    }

    /// Beats this node's heart every `settings.heartbeat` (a slow beat delays the next, never
    /// by more than it took) until it finds the node ended.
    async fn beat_until_ended(self: Arc<Self>, settings: NodeSettings) {
        let mut every = tokio::time::interval_at(Instant::now() + settings.heartbeat, settings.heartbeat);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match self.node_beat().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(error = %err, "could not beat this node's heart"),
            }
        }
    }

    /// One heartbeat, with this node's load and whether it drains; false when it has ended.
    async fn node_beat(&self) -> Result<bool, EngineError> {
        let (calls, draining) = (self.calls_on_line(), self.stopping());
        let (store, last_beat) = (Arc::clone(self.store()), self.last_beat.clone());
        let sent = Instant::now();
        blocking(move || {
            let alive = store.node_heartbeat(calls, draining, now())?;
            if alive {
                last_beat.reached(sent);
            }
            Ok::<_, EngineError>(alive)
        })
        .await
    }

    /// Every `settings.heartbeat`, after the last round of it is done: ends the dead nodes, puts
    /// the recordings left on this disk in the database and, unless draining, starts the runners
    /// of campaigns launched on other nodes.
    async fn keep_house(self: Arc<Self>, settings: NodeSettings) {
        let mut every = tokio::time::interval_at(Instant::now() + settings.heartbeat, settings.heartbeat);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let (store, kept, bus) = (Arc::clone(self.store()), self.kept_backends(), self.bus().clone());
            if let Err(err) = blocking(move || reap(&store, settings, &kept, &bus)).await {
                tracing::warn!(error = %err, "could not look for dead nodes");
            }
            self.upload_pending_recordings().await;
            if !self.stopping()
                && let Err(err) = self.resume_campaigns().await
            {
                tracing::warn!(error = %err, "could not take up campaigns launched on other nodes");
            }
        }
    }

    /// Puts the recordings this node's disk holds and the database does not yet in it.
    async fn upload_pending_recordings(&self) {
        let (store, Some(recordings)) = (Arc::clone(self.store()), self.recordings()) else { return };
        match blocking(move || recordings.upload_pending(&store)).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "put recordings left on this disk in the database"),
            Err(err) => tracing::warn!(error = %err, "could not look for recordings to put in the database"),
        }
    }

    /// Ends this node as it stops: its leases go back, and its calls still open are closed as
    /// lost (or passed on, when their provider runs them on: another node takes their report).
    pub async fn leave_node(&self) -> Result<(), EngineError> {
        let (store, kept, bus) = (Arc::clone(self.store()), self.kept_backends(), self.bus().clone());
        let flusher = self.relay.as_ref().map(Relay::flusher);
        blocking(move || {
            let end = NodeEnd { reason: NODE_LEFT, kept: &kept, adopter: None, now: now() };
            if let Some(ended) = store.leave_node(&end)? {
                tracing::info!(node = ended.id, lost = ended.lost.len(), "left the shared database");
                publish_closed(&store, &bus, &ended)?;
            }
            // The other nodes' consoles hear of it before this process ends.
            if flusher.is_some_and(|flusher| !flusher.flush(LEAVE_FLUSH)) {
                tracing::warn!("the other nodes may not have heard of the calls this node closed as it left");
            }
            Ok::<_, EngineError>(())
        })
        .await
    }
}

/// Ends the nodes whose heartbeat is older than the expiry; this node adopts their calls that
/// their provider runs on.
fn reap(store: &Store, settings: NodeSettings, kept: &[&str], bus: &EventBus) -> Result<Vec<EndedNode>, EngineError> {
    let expiry = i64::try_from(settings.expiry.as_millis()).unwrap_or(i64::MAX);
    let clock = now();
    let end = NodeEnd { reason: NODE_DIED, kept, adopter: store.node(), now: clock };
    let ended = store.reap_nodes(UnixMillis(clock.0.saturating_sub(expiry)), &end)?;
    for node in &ended {
        tracing::warn!(
            node = node.id,
            lost = node.lost.len(),
            adopted = node.adopted.len(),
            "a node stopped answering: its calls were closed as lost and its targets go back"
        );
        publish_closed(store, bus, node)?;
    }
    Ok(ended)
}

/// Publishes, once committed, the calls a node's end closed as lost (consoles and campaign
/// runners learn of them, and the other nodes through the relay).
fn publish_closed(store: &Store, bus: &EventBus, ended: &EndedNode) -> Result<(), EngineError> {
    for &id in &ended.lost {
        if let Some(call) = store.call(id)? {
            bus.publish(EngineEvent::CallUpdated { call });
        }
    }
    Ok(())
}
