//! Drives one call from its backend's events to a terminal state: each event is committed to
//! the store first, then published. A backend that goes silent past the deadline gets its call
//! closed as lost.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallId, CallState, CallSummary, ContactId, Offer, TranscriptLine};
use switchboard_store::Store;
use tokio::sync::mpsc;
use tokio::time::timeout_at;

use crate::dispatcher::{CallSlot, blocking};
use crate::history::Recordings;
use crate::{BackendEvent, EngineError, EngineEvent, EventBus, now};

pub(crate) struct CallTask {
    store: Arc<Store>,
    bus: EventBus,
    call_id: CallId,
    contact_id: ContactId,
    next_seq: u32,
    recordings: Option<Recordings>,
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
        Self { store, bus, call_id: call.id, contact_id: call.contact_id, next_seq: 0, recordings, _slot: slot }
    }

    /// The task of a call whose lines so far are stored: its next line follows them (a backend
    /// that holds the conversation itself, picking a call up again after a restart).
    pub(crate) fn continuing(mut self, stored_lines: u32) -> Self {
        self.next_seq = stored_lines;
        self
    }

    /// Consumes the backend's events until the call ends or `deadline` passes in silence.
    pub(crate) async fn run(mut self, mut events: mpsc::Receiver<BackendEvent>, deadline: Duration) {
        let give_up_at = tokio::time::Instant::now() + deadline;
        let outcome = loop {
            match timeout_at(give_up_at, events.recv()).await {
                Ok(Some(BackendEvent::Ended { state, reason })) => break (state, reason),
                Ok(Some(event)) => {
                    if let Err(err) = self.apply(event).await {
                        tracing::error!(call = %self.call_id, error = %err, "could not record a call event");
                    }
                }
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
            }
        };
        if let Err(err) = self.finish(outcome.0, outcome.1).await {
            tracing::error!(call = %self.call_id, error = %err, "could not close the call");
        }
    }

    async fn apply(&mut self, event: BackendEvent) -> Result<(), EngineError> {
        match event {
            BackendEvent::Ringing => apply_state(&self.store, &self.bus, self.call_id, CallState::Ringing, None).await,
            BackendEvent::Answered => {
                apply_state(&self.store, &self.bus, self.call_id, CallState::InProgress, None).await
            }
            BackendEvent::Line { speaker, text, offset_ms } => {
                let line = TranscriptLine { seq: self.next_seq, speaker, text, offset_ms };
                self.next_seq += 1;
                let (store, id, stored) = (Arc::clone(&self.store), self.call_id, line.clone());
                if blocking(move || store.append_transcript(id, &stored)).await? {
                    self.bus.publish(EngineEvent::TranscriptLine { call_id: self.call_id, line });
                }
                Ok(())
            }
            BackendEvent::Field { key, value } => {
                let (store, id) = (Arc::clone(&self.store), self.call_id);
                Ok(blocking(move || store.record_field(id, &key, &value)).await?)
            }
            BackendEvent::TurnLatency(latency) => {
                let (store, id) = (Arc::clone(&self.store), self.call_id);
                Ok(blocking(move || store.record_turn_latency(id, &latency)).await?)
            }
            BackendEvent::AudioPacing(pacing) => {
                if pacing.late > 0 {
                    tracing::warn!(call = %self.call_id, late = pacing.late, worst_gap_ms = pacing.worst_gap_ms,
                        "the agent's audio came late: the computer was too busy for the calls it carried");
                }
                let (store, id) = (Arc::clone(&self.store), self.call_id);
                Ok(blocking(move || store.record_audio_pacing(id, &pacing)).await?)
            }
            BackendEvent::Recording { audio, extension, duration_ms } => {
                let Some(recordings) = self.recordings.clone() else {
                    tracing::debug!(call = %self.call_id, "no recordings directory; the call's audio is not kept");
                    return Ok(());
                };
                let (store, id) = (Arc::clone(&self.store), self.call_id);
                blocking(move || recordings.save(&store, id, extension, &audio, duration_ms, now())).await?;
                Ok(())
            }
            BackendEvent::RecordingFile { path, duration_ms } => {
                let Some(recordings) = self.recordings.clone() else {
                    tracing::debug!(call = %self.call_id, "no recordings directory; the call's audio is not kept");
                    crate::history::discard(path).await;
                    return Ok(());
                };
                let (store, id) = (Arc::clone(&self.store), self.call_id);
                blocking(move || recordings.adopt(&store, id, &path, duration_ms, now())).await?;
                Ok(())
            }
            // `run` stops at the end event and hands it to `finish`.
            BackendEvent::Ended { .. } => Ok(()),
        }
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
            match event {
                BackendEvent::Ended { state, reason } if !ended_already => return self.finish(state, reason).await,
                event => self.apply(event).await?,
            }
        }
        Ok(())
    }

    /// Ends the call and turns what it collected into an offer.
    async fn finish(&self, state: CallState, reason: String) -> Result<(), EngineError> {
        let state = if state.is_terminal() { state } else { CallState::Failed };
        let (store, id, contact_id) = (Arc::clone(&self.store), self.call_id, self.contact_id);
        let offer = blocking(move || {
            let fields = store.collected_fields(id)?;
            let offer = Offer::from_fields(id, contact_id, fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if let Some(offer) = &offer {
                store.save_offer(offer)?;
            }
            Ok::<_, EngineError>(offer)
        })
        .await?;
        if let Some(offer) = offer {
            self.bus.publish(EngineEvent::OfferRecorded { offer });
        }
        apply_state(&self.store, &self.bus, self.call_id, state, Some(reason)).await
    }
}

/// Commits a state change (if it moves the call forward) and publishes it.
pub(crate) async fn apply_state(
    store: &Arc<Store>,
    bus: &EventBus,
    id: CallId,
    state: CallState,
    reason: Option<String>,
) -> Result<(), EngineError> {
    let store = Arc::clone(store);
    let updated = blocking(move || store.advance_call(id, state, reason.as_deref(), now())).await?;
    if let Some(call) = updated {
        tracing::info!(call = %call.id, state = call.state.as_str(), reason = call.end_reason.as_deref(), "call state");
        bus.publish(EngineEvent::CallUpdated { call });
    }
    Ok(())
}
