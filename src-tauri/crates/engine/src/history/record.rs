//! The full record of one call, as History shows it and exports it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use switchboard_core::{
    AudioPacing, CallAction, CallCost, CallId, CallPrice, CallSummary, HeardLatency, Offer, RecordingInfo,
    TranscriptLine, TurnLatency,
};
use switchboard_store::{Store, StoreError};

use crate::EngineError;

/// A value the agent collected on a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CollectedField {
    pub key: String,
    pub value: String,
}

/// Everything kept about one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    pub call: CallSummary,
    pub transcript: Vec<TranscriptLine>,
    pub fields: Vec<CollectedField>,
    pub offer: Option<Offer>,
    /// How the call's campaign judged it (driver outcome, retry reason), for campaign calls.
    pub outcome: Option<String>,
    /// What the provider reported the call cost, in its currency or unit.
    pub cost: Option<CallCost>,
    /// What the call cost in US dollars, with its breakdown (`None` while unknown).
    pub price: Option<CallPrice>,
    /// Provider ids by name ("Twilio call SID" → "CA…").
    pub provider_refs: BTreeMap<String, String>,
    /// The provider's own record of the call, as received (JSON text).
    pub provider_record: Option<String>,
    pub recording: Option<RecordingInfo>,
    pub latencies: Vec<TurnLatency>,
    /// How well the agent's audio kept time (calls the engine voiced itself).
    pub audio_pacing: Option<AudioPacing>,
    /// What the callee heard, read from the recording (calls the engine voiced itself).
    pub heard: Option<HeardLatency>,
    /// What the dispatcher did to the call while it was live, oldest first.
    pub actions: Vec<CallAction>,
}

/// Reads the full record of a call.
pub fn call_record(store: &Store, id: CallId) -> Result<CallRecord, EngineError> {
    let call = store.call(id)?.ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
    let facts = store.provider_facts(id)?;
    Ok(CallRecord {
        call,
        transcript: store.transcript(id)?,
        fields: store.collected_fields(id)?.into_iter().map(|(key, value)| CollectedField { key, value }).collect(),
        offer: store.offer(id)?,
        outcome: store.campaign_outcome(id)?,
        cost: facts.cost,
        price: store.call_price(id)?,
        provider_refs: facts.refs,
        provider_record: facts.record,
        recording: store.recording(id)?,
        latencies: store.turn_latencies(id)?,
        audio_pacing: store.audio_pacing(id)?,
        heard: store.heard_latency(id)?,
        actions: store.call_actions(id)?,
    })
}
