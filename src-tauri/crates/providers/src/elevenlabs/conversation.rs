//! An ElevenLabs conversation (`GET /v1/convai/conversations/{id}`, and the `data` of the
//! post-call transcription webhook): transcript, metadata and analysis. Serializable for the
//! loopback fake.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub conversation_id: String,
    pub agent_id: Option<String>,
    pub status: ConversationStatus,
    #[serde(default)]
    pub transcript: Vec<TranscriptTurn>,
    #[serde(default)]
    pub metadata: ConversationMetadata,
    pub analysis: Option<ConversationAnalysis>,
    /// What the call was started with, echoed back (dynamic variables included).
    pub conversation_initiation_client_data: Option<serde_json::Value>,
    pub has_audio: Option<bool>,
}

impl Conversation {
    /// The collected data by id, each result's `value` (results are objects on the wire).
    pub fn collected_values(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.analysis.iter().flat_map(|analysis| {
            analysis.data_collection_results.iter().map(|(id, result)| (id.as_str(), &result.value))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConversationStatus {
    Initiated,
    InProgress,
    Processing,
    Done,
    Failed,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptRole {
    User,
    Agent,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptTurn {
    pub role: TranscriptRole,
    /// `null` for turns that were only tool calls.
    pub message: Option<String>,
    #[serde(default)]
    pub time_in_call_secs: f64,
    #[serde(default)]
    pub interrupted: bool,
    /// The tools the agent called in this turn.
    #[serde(default)]
    pub tool_calls: Vec<TranscriptToolCall>,
}

/// A tool the agent called (`ConversationHistoryTranscriptToolCallCommonModel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptToolCall {
    pub tool_name: String,
    /// The arguments, as a JSON text.
    #[serde(default)]
    pub params_as_json: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationMetadata {
    pub start_time_unix_secs: Option<i64>,
    pub call_duration_secs: Option<u32>,
    pub cost: Option<f64>,
    pub termination_reason: Option<String>,
    pub phone_call: Option<PhoneCall>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCall {
    /// `twilio`, `sip_trunking`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub call_sid: Option<String>,
    pub stream_sid: Option<String>,
    pub external_number: Option<String>,
    pub agent_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSuccess {
    Success,
    Failure,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationAnalysis {
    pub call_successful: Option<CallSuccess>,
    pub transcript_summary: Option<String>,
    #[serde(default)]
    pub data_collection_results: BTreeMap<String, DataCollectionResult>,
}

/// One collected item. On the wire an object `{data_collection_id, value, json_schema,
/// rationale}`; a bare value is accepted too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawResult")]
pub struct DataCollectionResult {
    pub value: serde_json::Value,
    pub rationale: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawResult {
    Object { value: serde_json::Value, rationale: Option<String> },
    Bare(serde_json::Value),
}

impl From<RawResult> for DataCollectionResult {
    fn from(raw: RawResult) -> Self {
        match raw {
            RawResult::Object { value, rationale } => Self { value, rationale },
            RawResult::Bare(value) => Self { value, rationale: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{CallSuccess, Conversation, ConversationStatus, TranscriptRole};

    #[test]
    fn reads_transcript_metadata_and_collected_values() {
        let conversation: Conversation = serde_json::from_value(json!({
            "agent_id": "agent_1", "conversation_id": "conv_1", "status": "done",
            "transcript": [
                {"role": "agent", "message": "Hi, is this Acme?", "time_in_call_secs": 0, "tool_calls": []},
                {"role": "user", "message": "Yes. $4.50 a unit.", "time_in_call_secs": 3, "interrupted": true},
                {"role": "agent", "message": null, "time_in_call_secs": 7}
            ],
            "metadata": {"start_time_unix_secs": 1739537000, "call_duration_secs": 95, "cost": 412,
                         "termination_reason": "end_call tool", "phone_call":
                         {"type": "twilio", "call_sid": "CA1", "stream_sid": "MZ1", "external_number": "+15551234567"},
                         "unknown_later_field": {"a": 1}},
            "analysis": {"call_successful": "success", "transcript_summary": "Quoted 4.50.",
                         "evaluation_criteria_results": {},
                         "data_collection_results": {
                            "unit_price": {"data_collection_id": "unit_price", "value": 4.5,
                                           "json_schema": {"type": "number"}, "rationale": "said $4.50"},
                            "terms": {"data_collection_id": "terms", "value": null, "rationale": "not said"}}},
            "conversation_initiation_client_data": {"dynamic_variables": {"vendorName": "Acme"}},
            "has_audio": true
        }))
        .unwrap();
        assert_eq!(conversation.status, ConversationStatus::Done);
        assert_eq!(conversation.transcript.len(), 3);
        assert_eq!(conversation.transcript[1].role, TranscriptRole::User);
        assert!(conversation.transcript[1].interrupted);
        assert_eq!(conversation.transcript[2].message, None);
        assert_eq!(conversation.metadata.call_duration_secs, Some(95));
        assert_eq!(conversation.metadata.phone_call.as_ref().unwrap().call_sid.as_deref(), Some("CA1"));
        let analysis = conversation.analysis.as_ref().unwrap();
        assert_eq!(analysis.call_successful, Some(CallSuccess::Success));
        assert_eq!(analysis.data_collection_results["unit_price"].rationale.as_deref(), Some("said $4.50"));
        let values: Vec<_> = conversation.collected_values().collect();
        assert_eq!(values, [("terms", &json!(null)), ("unit_price", &json!(4.5))]);
    }

    #[test]
    fn a_bare_collected_value_is_accepted() {
        let conversation: Conversation = serde_json::from_value(json!({
            "conversation_id": "conv_1", "status": "failed",
            "analysis": {"data_collection_results": {"moq": "1000"}}
        }))
        .unwrap();
        assert_eq!(conversation.collected_values().collect::<Vec<_>>(), [("moq", &json!("1000"))]);
        assert!(conversation.transcript.is_empty() && conversation.metadata.call_duration_secs.is_none());
    }
}
