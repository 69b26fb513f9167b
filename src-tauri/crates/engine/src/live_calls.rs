//! The event channels of calls whose call task is running, by call id: where a backend whose
//! reports arrive out of band (webhooks, a reconciler) finds the task that applies them; and
//! which of them the dispatcher is hanging up.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use switchboard_core::CallId;
use tokio::sync::mpsc;

use crate::BackendEvent;

/// Shared between a backend (which files each call's channel when it places the call) and the
/// webhook listener (which sends the call's events down it). A channel whose task has ended is
/// closed and never handed out; closed channels are dropped as new ones are filed.
#[derive(Debug, Clone, Default)]
pub struct LiveCalls {
    channels: Arc<Mutex<HashMap<CallId, mpsc::Sender<BackendEvent>>>>,
    /// Calls the dispatcher is hanging up: an end reported for one meanwhile (Twilio's
    /// `completed` racing the hang-up's answer) is the dispatcher's.
    ending: Arc<Mutex<HashSet<CallId>>>,
}

impl LiveCalls {
    /// Files the channel of a call that was just placed.
    pub fn insert(&self, call: CallId, events: mpsc::Sender<BackendEvent>) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels.retain(|_, sender| !sender.is_closed());
        channels.insert(call, events);
        self.ending().retain(|id| channels.contains_key(id));
    }

    /// Takes the channel of `call` out, for its final report: whoever reports after that finds
    /// no task listening, so two final reports can never both reach the task.
    pub fn take(&self, call: CallId) -> Option<mpsc::Sender<BackendEvent>> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        self.ending().remove(&call);
        channels.remove(&call).filter(|sender| !sender.is_closed())
    }

    /// Notes that the dispatcher is hanging up `call` (`false`: it failed, the call is still up).
    pub fn set_ending(&self, call: CallId, ending: bool) {
        if ending {
            self.ending().insert(call);
        } else {
            self.ending().remove(&call);
        }
    }

    /// Whether the dispatcher is hanging up `call`.
    pub fn is_ending(&self, call: CallId) -> bool {
        self.ending().contains(&call)
    }

    fn ending(&self) -> MutexGuard<'_, HashSet<CallId>> {
        self.ending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The channel of `call` while its task still listens.
    pub fn sender(&self, call: CallId) -> Option<mpsc::Sender<BackendEvent>> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        match channels.get(&call) {
            Some(sender) if !sender.is_closed() => Some(sender.clone()),
            Some(_) => {
                channels.remove(&call);
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::CallId;
    use tokio::sync::mpsc;

    use super::LiveCalls;

    #[test]
    fn a_channel_is_handed_out_only_while_its_task_listens() {
        let live = LiveCalls::default();
        let (sender, receiver) = mpsc::channel(1);
        live.insert(CallId(1), sender);
        assert!(live.sender(CallId(1)).is_some());
        assert!(live.sender(CallId(2)).is_none());
        drop(receiver);
        assert!(live.sender(CallId(1)).is_none());
    }

    #[test]
    fn a_taken_channel_is_handed_out_once() {
        let live = LiveCalls::default();
        let (sender, _receiver) = mpsc::channel(1);
        live.insert(CallId(1), sender);
        assert!(live.take(CallId(1)).is_some());
        assert!(live.take(CallId(1)).is_none() && live.sender(CallId(1)).is_none());
    }
}
