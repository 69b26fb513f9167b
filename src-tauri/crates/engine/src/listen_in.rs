//! Listening in: a per-call tap on live audio. The call's media tasks publish each 20 ms μ-law
//! frame of both parties (the caller's as received, the agent's as actually sent) to an
//! [`AudioTap`]; a listener subscribes to a call with [`LiveAudio::listen`] and receives them,
//! in order per party, on a bounded channel.
//!
//! Publishing never blocks and allocates nothing per frame: with nobody listening it is one
//! atomic load; with a listener, a `try_send` of a fixed array, and a frame the listener has no
//! room for is dropped and counted. A publisher picks up a new or departed listener through a
//! generation counter, taking the slot's lock only then.
//!
//! Hosted-agent calls have no media tasks of ours: their audio comes from a one-way Twilio
//! stream forked for the listener (telephony's listen-in forks), whose frames go into the same tap.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use switchboard_audio::{Frame, Party};
use switchboard_core::CallId;
use tokio::sync::mpsc;

/// Frames a listener may fall behind by before frames are dropped (a second of both parties).
pub const LISTEN_QUEUE: usize = 100;

/// One party's 20 ms of a live call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveFrame {
    pub party: Party,
    pub frame: Frame,
}

/// The registry of taps, shared by the calls' media tasks and the listeners.
#[derive(Clone, Default)]
pub struct LiveAudio {
    calls: Arc<Mutex<HashMap<CallId, Weak<Slot>>>>,
}

/// One call's tap: the current listener's sender (with the generation it came in), a
/// generation that moves whenever the listener changes, and the frames dropped for it.
#[derive(Default)]
struct Slot {
    generation: AtomicU64,
    /// Taps of the call alive (each with its clones); the last one gone ends the frames.
    publishers: AtomicUsize,
    listener: Mutex<Option<(u64, mpsc::Sender<LiveFrame>)>>,
    dropped: AtomicU64,
}

impl Slot {
    fn listener(&self) -> MutexGuard<'_, Option<(u64, mpsc::Sender<LiveFrame>)>> {
        self.listener.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `sender` in as the listener; returns its generation.
    fn set_listener(&self, sender: Option<mpsc::Sender<LiveFrame>>) -> u64 {
        let mut listener = self.listener();
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        *listener = sender.map(|sender| (generation, sender));
        generation
    }
}

/// A listener's end: the call's frames, until the call's publishers are gone or another
/// listener takes the call over. Dropping it stops the frames.
pub struct Listening {
    pub call_id: CallId,
    frames: mpsc::Receiver<LiveFrame>,
    slot: Arc<Slot>,
    generation: u64,
}

/// A publisher's end, one per task that publishes (clone it for another).
pub struct AudioTap {
    slot: Arc<Slot>,
    /// The listener's generation `sender` belongs to.
    seen: u64,
    sender: Option<mpsc::Sender<LiveFrame>>,
    /// Shared by a tap's clones: the call's last one dropped lets the listener know.
    _publishing: Arc<Publishing>,
}

struct Publishing(Arc<Slot>);

impl Publishing {
    fn new(slot: Arc<Slot>) -> Self {
        slot.publishers.fetch_add(1, Ordering::AcqRel);
        Self(slot)
    }
}

impl Drop for Publishing {
    fn drop(&mut self) {
        if self.0.publishers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.set_listener(None);
        }
    }
}

impl std::fmt::Debug for LiveAudio {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("LiveAudio").finish_non_exhaustive()
    }
}

impl LiveAudio {
    /// Starts listening to `call`: its frames from now on (or from when its audio starts). A
    /// listener already on the call is replaced (its frames end).
    pub fn listen(&self, call: CallId) -> Listening {
        let slot = self.slot(call);
        let (sender, frames) = mpsc::channel(LISTEN_QUEUE);
        let generation = slot.set_listener(Some(sender));
        Listening { call_id: call, frames, slot, generation }
    }

    /// A tap for `call`'s media tasks to publish to. When every tap of the call (and every
    /// clone) is dropped, the listener's frames end.
    pub fn tap(&self, call: CallId) -> AudioTap {
        let slot = self.slot(call);
        AudioTap { slot: Arc::clone(&slot), seen: u64::MAX, sender: None, _publishing: Arc::new(Publishing::new(slot)) }
    }

    /// The call's slot, made when nobody has it; slots nobody holds any more are let go.
    fn slot(&self, call: CallId) -> Arc<Slot> {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = calls.get(&call).and_then(Weak::upgrade) {
            return slot;
        }
        calls.retain(|_, slot| slot.strong_count() > 0);
        let slot = Arc::new(Slot::default());
        calls.insert(call, Arc::downgrade(&slot));
        slot
    }
}

impl Listening {
    /// The next frame, `None` once the call's audio has ended (or another listener took over).
    pub async fn recv(&mut self) -> Option<LiveFrame> {
        self.frames.recv().await
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<LiveFrame> {
        self.frames.try_recv().ok()
    }

    /// Frames dropped so far because this call's listener had no room for them.
    pub fn dropped_frames(&self) -> u64 {
        self.slot.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Listening {
    /// Takes this listener out of the call's slot, unless another took its place.
    fn drop(&mut self) {
        let mut listener = self.slot.listener();
        if listener.as_ref().is_some_and(|(generation, _)| *generation == self.generation) {
            *listener = None;
            self.slot.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl AudioTap {
    /// Publishes one frame of `party`. Never blocks; with no listener it does nothing.
    pub fn publish(&mut self, party: Party, frame: &Frame) {
        if !self.has_listener() {
            return;
        }
        let Some(sender) = &self.sender else { return };
        match sender.try_send(LiveFrame { party, frame: *frame }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.slot.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.sender = None,
        }
    }
}

impl AudioTap {
    /// Whether someone listens to the call now (so audio made only to be heard is worth making).
    pub fn has_listener(&mut self) -> bool {
        let generation = self.slot.generation.load(Ordering::Acquire);
        if generation != self.seen {
            self.sender = self.slot.listener().as_ref().map(|(_, sender)| sender.clone());
            self.seen = generation;
        }
        self.sender.as_ref().is_some_and(|sender| !sender.is_closed())
    }
}

impl Clone for AudioTap {
    fn clone(&self) -> Self {
        Self { slot: Arc::clone(&self.slot), seen: u64::MAX, sender: None, _publishing: Arc::clone(&self._publishing) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: CallId = CallId(7);

    #[tokio::test]
    async fn a_listener_gets_both_parties_in_order_and_nothing_is_sent_without_one() {
        let audio = LiveAudio::default();
        let mut caller = audio.tap(CALL);
        let mut agent = caller.clone();
        caller.publish(Party::Caller, &[1; 160]);
        let mut listening = audio.listen(CALL);
        for n in 2..5 {
            caller.publish(Party::Caller, &[n; 160]);
            agent.publish(Party::Agent, &[n + 100; 160]);
        }
        let mut heard = Vec::new();
        while let Some(frame) = listening.try_recv() {
            heard.push((frame.party, frame.frame[0]));
        }
        let of = |party| heard.iter().filter(|(p, _)| *p == party).map(|(_, n)| *n).collect::<Vec<_>>();
        assert_eq!(of(Party::Caller), [2, 3, 4], "what came before listening is not kept");
        assert_eq!(of(Party::Agent), [102, 103, 104]);
        let mut another = audio.tap(CALL);
        drop((caller, agent));
        another.publish(Party::Agent, &[200; 160]);
        assert_eq!(listening.recv().await.map(|frame| frame.frame[0]), Some(200), "a tap of the call remains");
        drop(another);
        assert_eq!(listening.recv().await, None, "the call's publishers are gone: the frames end");
    }

    #[test]
    fn a_listener_that_does_not_drain_costs_dropped_frames_only() {
        let audio = LiveAudio::default();
        let mut tap = audio.tap(CALL);
        let listening = audio.listen(CALL);
        for _ in 0..LISTEN_QUEUE + 30 {
            tap.publish(Party::Agent, &[0; 160]);
        }
        assert_eq!(listening.dropped_frames(), 30);
    }

    #[tokio::test]
    async fn a_new_listener_replaces_the_old_and_leaving_stops_the_frames() {
        let audio = LiveAudio::default();
        let mut tap = audio.tap(CALL);
        let mut first = audio.listen(CALL);
        tap.publish(Party::Caller, &[1; 160]);
        let mut second = audio.listen(CALL);
        tap.publish(Party::Caller, &[2; 160]);
        assert_eq!(first.recv().await.map(|frame| frame.frame[0]), Some(1));
        assert_eq!(first.recv().await, None, "replaced");
        assert_eq!(second.try_recv().map(|frame| frame.frame[0]), Some(2));
        drop(first);
        tap.publish(Party::Caller, &[3; 160]);
        assert_eq!(second.try_recv().map(|frame| frame.frame[0]), Some(3), "the old listener leaving changes nothing");
        drop(second);
        tap.publish(Party::Caller, &[4; 160]);
        assert!(tap.sender.is_none(), "nobody listens: nothing to send to");
    }

    #[test]
    fn slots_nobody_holds_are_let_go() {
        let audio = LiveAudio::default();
        drop(audio.tap(CallId(1)));
        drop(audio.listen(CallId(2)));
        let _held = audio.tap(CallId(3));
        assert_eq!(audio.calls.lock().unwrap().values().filter(|slot| slot.strong_count() > 0).count(), 1);
        let _other = audio.tap(CallId(4));
        assert_eq!(audio.calls.lock().unwrap().len(), 2, "the stale entries went when a slot was made");
    }
}
