//! Drives one call from its backend's events to a terminal state: each event is committed to
//! the store first, then published. A backend that goes silent past the deadline gets its call
//! closed as lost.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallId, CallState, CallSummary, Pricing, TranscriptLine};
use switchboard_store::{CallProgress, Store};
use tokio::sync::mpsc;
use tokio::time::timeout_at;

use crate::CallSlot;
use crate::blocking::blocking;
use crate::history::Recordings;
use crate::store_writes::StoreWrites;
use crate::{BackendEvent, EngineError, EngineEvent, EventBus, now};

/// Events taken from the channel at once at most: a burst of lines and fields (or those that
/// came with the end) is stored in one transaction.
const BURST: usize = 64;

pub(crate) struct CallTask {
    store: Arc<Store>,
    bus: EventBus,
    writes: StoreWrites,
    call_id: CallId,
    next_seq: u32,
    /// Lines and fields received and not stored yet.
    pending: CallProgress,
    recordings: Option<Recordings>,
    /// How the call is priced when it ends (with the usage its backend reported so far).
    pricing: Option<Pricing>,
    /// Held while the call lasts, when it counts against the campaign-call limit.
    _slot: Option<CallSlot>,
}

impl CallTask {
    pub(crate) fn new(
        store: Arc<Store>,
        bus: EventBus,
        call: &CallSummary,
        slot: Option<CallSlot>,
        recordings: Option<Recordings>,
    ) -> Self {
        let writes = StoreWrites::new(Arc::clone(&store), bus.clone());
        Self {
            store,
            bus,
            writes,
            call_id: call.id,
            next_seq: 0,
            pending: CallProgress::default(),
            recordings,
            pricing: None,
            _slot: slot,
        }
    }

    /// The task of a call priced by `pricing` when it ends.
    pub(crate) fn priced(mut self, pricing: Option<Pricing>) -> Self {
        self.pricing = pricing;
        self
    }

    /// The task of a call whose lines so far are stored: its next line follows them (a backend
    /// that holds the conversation itself, picking a call up again after a restart).
    pub(crate) fn continuing(mut self, stored_lines: u32) -> Self {
        self.next_seq = stored_lines;
        self
    }

    /// Consumes the backend's events until the call ends or `deadline` passes in silence. Lines
    /// and fields are stored a burst at a time; those that came with the end are stored with it,
    /// in one transaction with the offer and the terminal state. A write that fails for a
    /// passing reason (full disk, held lock) is retried until it works, so nothing is dropped
    /// and the call still ends.
    pub(crate) async fn run(mut self, mut events: mpsc::Receiver<BackendEvent>, deadline: Duration) {
        let give_up_at = tokio::time::Instant::now() + deadline;
        let outcome = 'events: loop {
            let first = match timeout_at(give_up_at, events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => {
                    break (CallState::Lost, "the backend stopped reporting before the call ended".to_owned());
                }
                Err(_) => {
                    break (
                        CallState::Lost,
                        format!(
                            "no final event within {} s (max duration + grace); closed as lost",
                            deadline.as_secs()
                        ),
                    );
                }
            };
            let mut next = Some(first);
            let mut taken = 0;
            while let Some(event) = next.take() {
                if let Some(end) = self.take(event).await {
                    break 'events end;
                }
                taken += 1;
                if taken < BURST {
                    next = events.try_recv().ok();
                }
            }
            self.store_pending().await;
        };
        if let Err(err) = self.finish(outcome.0, outcome.1).await {
            tracing::error!(call = %self.call_id, error = %err, "could not close the call");
        }
    }

    /// Takes one event: lines and measures wait in `pending` (stored with the burst, or with the
    /// end), a field is stored with them at once, a state change is applied after what is
    /// pending, other events at once; an end is returned for [`CallTask::finish`].
    async fn take(&mut self, event: BackendEvent) -> Option<(CallState, String)> {
        let applied = match event {
            BackendEvent::Ended { state, reason } => return Some((state, reason)),
            BackendEvent::Line { speaker, text, offset_ms } => {
                self.pending.lines.push(TranscriptLine { seq: self.next_seq, speaker, text, offset_ms });
                self.next_seq += 1;
                Ok(())
            }
            BackendEvent::Field { key, value } => {
                // Stored at once, after the lines before it: the store files the value with the
                // callee line that gave it (a review opens the call there).
                self.pending.fields.push((key, value));
                self.store_pending().await;
                Ok(())
            }
            BackendEvent::TurnLatency(latency) => {
                self.pending.turn_latencies.push(latency);
                Ok(())
            }
            BackendEvent::HeardLatency(heard) => {
                self.pending.heard = Some(heard);
                Ok(())
            }
            BackendEvent::AudioPacing(pacing) => {
                if pacing.late > 0 {
                    tracing::warn!(call = %self.call_id, late = pacing.late, worst_gap_ms = pacing.worst_gap_ms,
                        "the agent's audio came late: the computer was too busy for the calls it carried");
                }
                self.pending.pacing = Some(pacing);
                Ok(())
            }
            BackendEvent::Usage(more) => {
                if let Some(pricing) = self.pricing.as_mut() {
                    pricing.usage.add(&more);
                }
                Ok(())
            }
            BackendEvent::Recording { audio, extension, duration_ms } => {
                self.save_recording(audio, extension, duration_ms).await
            }
            BackendEvent::RecordingFile { path, duration_ms } => self.adopt_recording(path, duration_ms).await,
            BackendEvent::Ringing => self.advance(CallState::Ringing).await,
            BackendEvent::Answered => self.advance(CallState::InProgress).await,
        };
        if let Err(err) = applied {
            tracing::error!(call = %self.call_id, error = %err, "could not record a call event");
        }
        None
    }

    /// Stores the pending lines and fields (retried while writes fail) and publishes the new lines.
    async fn store_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (progress, id) = (std::mem::take(&mut self.pending), self.call_id);
        match self.writes.write(move |store| store.record_progress(id, &progress)).await {
            Ok(new_lines) => self.publish_lines(new_lines),
            Err(err) => tracing::error!(call = %self.call_id, error = %err, "could not record the call's lines"),
        }
    }

    fn publish_lines(&self, lines: Vec<TranscriptLine>) {
        for line in lines {
            self.bus.publish(EngineEvent::TranscriptLine { call_id: self.call_id, line });
        }
    }

    /// Keeps the call's audio (in memory) in the recordings directory, if there is one (and on a
    /// shared database puts it there next).
    async fn save_recording(
        &self,
        audio: Vec<u8>,
        extension: &'static str,
        duration_ms: u32,
    ) -> Result<(), EngineError> {
        let Some(recordings) = self.recordings.clone() else {
            tracing::debug!(call = %self.call_id, "no recordings directory; the call's audio is not kept");
            return Ok(());
        };
        let (store, id, kept) = (Arc::clone(&self.store), self.call_id, recordings.clone());
        let saved = blocking(move || {
            // Kept once: the same audio reported again (by webhook and by fetch) is not written
            // again, nor is a recording retention has deleted brought back.
            if store.recording(id)?.is_some() {
                return Ok(None);
            }
            kept.save(&store, id, extension, &audio, duration_ms, now()).map(Some)
        })
        .await?;
        if let Some(path) = saved {
            recordings.share(&self.store, id, &path);
        }
        Ok(())
    }

    /// Moves the call's finished recording file into the recordings directory (and on a shared
    /// database puts it there next), or deletes it when there is none.
    async fn adopt_recording(&self, path: PathBuf, duration_ms: u32) -> Result<(), EngineError> {
        let Some(recordings) = self.recordings.clone() else {
            tracing::debug!(call = %self.call_id, "no recordings directory; the call's audio is not kept");
            crate::history::discard(path).await;
            return Ok(());
        };
        let (store, id, kept) = (Arc::clone(&self.store), self.call_id, recordings.clone());
        let path = blocking(move || kept.adopt(&store, id, &path, duration_ms, now())).await?;
        recordings.share(&self.store, id, &path);
        Ok(())
    }

    /// Moves the call to a live state, after what is pending (retried while writes fail), and
    /// publishes it.
    async fn advance(&mut self, state: CallState) -> Result<(), EngineError> {
        self.store_pending().await;
        let id = self.call_id;
        let updated = self.writes.write(move |store| store.advance_call(id, state, None, now())).await?;
        if let Some(call) = updated {
            tracing::info!(call = %call.id, state = call.state.as_str(), "call state");
            self.bus.publish(EngineEvent::CallUpdated { call });
        }
        Ok(())
    }

    /// Applies a whole report for a call whose task no longer listens (it ended, or the app
    /// restarted), through the same steps as [`CallTask::run`]. Lines are numbered from 0: a
    /// report holds the whole transcript, so a repeated report finds its lines stored and adds
    /// none. The end (and the offer) is applied unless the call had already ended.
    pub(crate) async fn apply_report(
        mut self,
        events: Vec<BackendEvent>,
        ended_already: bool,
    ) -> Result<(), EngineError> {
        for event in events {
            if let Some((state, reason)) = self.take(event).await
                && !ended_already
            {
                return self.finish(state, reason).await;
            }
        }
        self.store_pending().await;
        Ok(())
    }

    /// Ends the call in one transaction with the lines and fields that came with the end, the
    /// offer they make and its price (retried while writes fail), then publishes what changed.
    async fn finish(&mut self, state: CallState, reason: String) -> Result<(), EngineError> {
        let state = if state.is_terminal() { state } else { CallState::Failed };
        let (progress, id, at, pricing) = (std::mem::take(&mut self.pending), self.call_id, now(), self.pricing.take());
        let ended =
            self.writes.write(move |store| store.end_call(id, state, &reason, at, &progress, pricing.as_ref())).await?;
        switchboard_store::failpoint!("call-end-after-commit");
        self.publish_lines(ended.new_lines);
        if let Some(offer) = ended.offer {
            self.bus.publish(EngineEvent::OfferRecorded { offer });
        }
        if let Some(call) = ended.call {
            tracing::info!(call = %call.id, state = call.state.as_str(), reason = call.end_reason.as_deref(), "call state");
            self.bus.publish(EngineEvent::CallUpdated { call });
        }
        Ok(())
    }
}

/// Commits a state change (if it moves the call forward) and publishes it; a write that fails
/// for a passing reason is retried until it works, so no call is left between two states.
pub(crate) async fn apply_state(
    writes: &StoreWrites,
    bus: &EventBus,
    id: CallId,
    state: CallState,
    reason: Option<String>,
) -> Result<(), EngineError> {
    let updated = writes.write(move |store| store.advance_call(id, state, reason.as_deref(), now())).await?;
    if let Some(call) = updated {
        tracing::info!(call = %call.id, state = call.state.as_str(), reason = call.end_reason.as_deref(), "call state");
        bus.publish(EngineEvent::CallUpdated { call });
    }
    Ok(())
}
