//! What the hosted backends share in applying a finished call's report: the provider's facts
//! (ids, cost, its raw record) go straight to the store, everything else becomes backend events
//! (answered, each line, each collected value, the recording, the end) delivered through
//! [`CallReports`], so the call task applies them as it does any backend's. Each provider reads
//! its own report into a [`FinishedCall`].

use std::sync::Arc;

use switchboard_core::{BackendKind, CallCost, CallPrice, CallState, CallSummary, Speaker};

use switchboard_engine::blocking;
use switchboard_engine::costs::cost_settings;
use switchboard_engine::{BackendEvent, CallReports, EngineError};

/// A finished call as a provider reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedCall {
    /// Provider ids to keep with the call: (label, id).
    pub(crate) refs: Vec<(&'static str, String)>,
    pub(crate) cost: Option<CallCost>,
    /// The provider's record as received (none for a report of the audio alone).
    pub(crate) record: Option<String>,
    /// Answered (when anyone spoke), the lines, the collected values, the recording, the end.
    pub(crate) events: Vec<BackendEvent>,
}

impl FinishedCall {
    /// Keeps the provider's facts with `call`, then delivers its events. A hosted provider's
    /// cost is the call's price, in dollars at the rates in Settings; Twilio's charge for a call
    /// the engine prices from its usage (pipeline, gather) is kept as reported only. The same
    /// audio reported again (by GET and by webhook, or redelivered) is the call task's to keep
    /// once.
    pub(crate) async fn deliver(self, reports: &CallReports, call: &CallSummary) -> Result<(), EngineError> {
        let Self { refs, cost, record, events } = self;
        let (store, id, backend) = (Arc::clone(reports.store()), call.id, call.backend);
        blocking(move || {
            for (label, value) in &refs {
                store.set_provider_ref(id, label, value)?;
            }
            if let Some(cost) = &cost {
                let price = match backend {
                    BackendKind::ElevenLabs | BackendKind::Vapi => {
                        let rates = cost_settings(&store)?.rates;
                        CallPrice::reported(backend, cost.amount, &cost.currency, &rates)
                    }
                    _ => None,
                };
                store.set_call_cost(id, cost, price.as_ref())?;
            }
            if let Some(record) = &record {
                store.set_provider_record(id, record)?;
            }
            Ok::<_, EngineError>(())
        })
        .await?;
        reports.deliver(call, events).await
    }
}

/// The events of a finished call: answered (when anyone spoke), `lines`, each collected value
/// that says something, the recording, and the end.
pub(crate) fn report_events<'a>(
    lines: Vec<BackendEvent>,
    collected: impl Iterator<Item = (&'a str, &'a serde_json::Value)>,
    recording: Option<BackendEvent>,
    state: CallState,
    reason: String,
) -> Vec<BackendEvent> {
    let mut events = Vec::with_capacity(lines.len() + 3);
    if !lines.is_empty() {
        events.push(BackendEvent::Answered);
    }
    events.extend(lines);
    events.extend(collected.filter_map(|(key, value)| field(key, value)));
    events.extend(recording);
    events.push(BackendEvent::Ended { state, reason });
    events
}

/// A collected value as a field, or nothing when it says nothing (null, or blank text).
pub(crate) fn field(key: &str, value: &serde_json::Value) -> Option<BackendEvent> {
    let value = match value {
        serde_json::Value::Null => return None,
        serde_json::Value::String(text) => text.trim().to_owned(),
        other => other.to_string(),
    };
    (!value.is_empty()).then(|| BackendEvent::Field { key: key.to_owned(), value })
}

/// A transcript line said `seconds` into the call, or nothing when it says nothing.
pub(crate) fn line(speaker: Speaker, text: Option<&str>, seconds: f64) -> Option<BackendEvent> {
    let text = text.map(str::trim).filter(|text| !text.is_empty())?;
    let offset_ms = (seconds.max(0.0) * 1000.0).round() as u32;
    Some(BackendEvent::Line { speaker, text: text.to_owned(), offset_ms })
}
