//! The event bus: every committed change, published to whoever listens (the console, the CLI),
//! and, on a node of a shared database, relayed to the other nodes' buses (see `relay`).

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use switchboard_core::{AgentId, CallAction, CallId, CallSummary, Offer, TranscriptLine};
use tokio::sync::broadcast;

use crate::relay::Outlet;

/// A change the engine has committed to the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum EngineEvent {
    /// A call was created or changed state.
    CallUpdated { call: CallSummary },
    /// A call's transcript gained a line.
    TranscriptLine { call_id: CallId, line: TranscriptLine },
    /// The dispatcher acted on a live call, or an action of theirs was carried out or refused.
    CallActionUpdated { action: CallAction },
    /// A call yielded a quote.
    OfferRecorded { offer: Offer },
    /// A campaign moved to another round, or finished.
    CampaignUpdated {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        campaign_id: i64,
        status: String,
        round: u8,
    },
    /// The agents' audio on pipeline calls fell behind: frames went out more than 40 ms apart
    /// (`late_frames` of them in the last `within_secs` seconds). The computer is carrying more
    /// calls than it can voice on time; campaigns start no new call for `campaigns_held_secs`.
    AudioFellBehind {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        late_frames: u64,
        within_secs: u32,
        campaigns_held_secs: u32,
    },
    /// The store cannot be written (`message` says why and names the database: "cannot write
    /// to …: disk full"). Writes are retried until they work; campaigns start no new call.
    StoreWritesFailing { message: String },
    /// The store can be written again; campaigns go on.
    StoreWritesRecovered,
    /// A rehearsal run of an agent was judged and kept: `done` of `total` runs are.
    RehearsalProgress { agent_id: AgentId, scenario: String, run: u32, passed: bool, done: u32, total: u32 },
    /// Events of another node sharing the database were lost on their way here (too big to
    /// relay, dropped while its relay was behind, or sent while this node's listening
    /// reconnected): re-read the store. Never stored, never relayed; windows get it as a resync.
    EventsMissed,
}

impl EngineEvent {
    /// Whether the other nodes of a shared database get this event: every committed change
    /// does; this node's own state (its audio, its writes) and relay notices do not.
    pub fn is_relayed(&self) -> bool {
        match self {
            EngineEvent::CallUpdated { .. }
            | EngineEvent::TranscriptLine { .. }
            | EngineEvent::CallActionUpdated { .. }
            | EngineEvent::OfferRecorded { .. }
            | EngineEvent::CampaignUpdated { .. }
            | EngineEvent::RehearsalProgress { .. } => true,
            EngineEvent::AudioFellBehind { .. }
            | EngineEvent::StoreWritesFailing { .. }
            | EngineEvent::StoreWritesRecovered
            | EngineEvent::EventsMissed => false,
        }
    }
}

/// Fan-out of engine events. Slow listeners lose old events (they are told, and re-read the
/// store); publishing never waits.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<EngineEvent>>,
    /// Where this node's events leave for the other nodes, once it relays them.
    outlet: Arc<OnceLock<Outlet>>,
}

impl EventBus {
    /// A bus that keeps up to `capacity` events for each slow listener.
    pub fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity).0, outlet: Arc::default() }
    }

    /// Publishes an event of this process to every current listener, and to the other nodes
    /// when it relays them (never waiting for them).
    pub fn publish(&self, event: EngineEvent) {
        let event = Arc::new(event);
        if let Some(outlet) = self.outlet.get() {
            outlet.offer(&event);
        }
        // No listener is fine: the store already holds the truth.
        let _ = self.sender.send(event);
    }

    /// Publishes an event another node relayed (or a notice of the relay) to this process's
    /// listeners only.
    pub(crate) fn publish_relayed(&self, event: EngineEvent) {
        let _ = self.sender.send(Arc::new(event));
    }

    /// From now on, hands every relayed event this process publishes to `outlet`; false when
    /// the bus has an outlet already.
    pub(crate) fn relay_to(&self, outlet: Outlet) -> bool {
        self.outlet.set(outlet).is_ok()
    }

    /// A new listener, receiving events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EngineEvent>> {
        self.sender.subscribe()
    }
}
