//! Batch calling: one submission, ElevenLabs dials every recipient (`/v1/convai/batch-calling`).

use serde::{Deserialize, Serialize};

use super::ClientData;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchCall {
    pub call_name: String,
    pub agent_id: String,
    pub agent_phone_number_id: String,
    pub recipients: Vec<BatchRecipient>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_time_unix: Option<i64>,
    /// IANA zone of `scheduled_time_unix`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_concurrency_limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchRecipient {
    /// Our id for the recipient, echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub phone_number: String,
    #[serde(rename = "conversation_initiation_client_data")]
    pub client_data: ClientData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
    Cancelled,
    #[serde(other)]
    Other,
}

/// A batch and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BatchJob {
    pub id: String,
    pub status: BatchStatus,
    pub name: Option<String>,
    #[serde(default)]
    pub total_calls_dispatched: u32,
    #[serde(default)]
    pub total_calls_scheduled: u32,
    #[serde(default)]
    pub total_calls_finished: u32,
}
