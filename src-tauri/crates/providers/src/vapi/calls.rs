//! Vapi calls: placing one (`POST /call`) and what Vapi reports about it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Variables;

/// A call for Vapi to place with one of our assistants.
#[derive(Debug, Clone, PartialEq)]
pub struct VapiCallRequest {
    pub assistant_id: String,
    pub phone_number_id: String,
    /// E.164
    pub customer_number: String,
    pub customer_name: Option<String>,
    /// Values for the assistant's `{{name}}` placeholders.
    pub variable_values: Variables,
    pub first_message: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RequestWire<'a> {
    assistant_id: &'a str,
    phone_number_id: &'a str,
    customer: Customer<'a>,
    assistant_overrides: Overrides<'a>,
}

#[derive(Serialize)]
struct Customer<'a> {
    number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Overrides<'a> {
    variable_values: &'a Variables,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_message: Option<&'a str>,
}

impl VapiCallRequest {
    pub(super) fn wire(&self) -> RequestWire<'_> {
        RequestWire {
            assistant_id: &self.assistant_id,
            phone_number_id: &self.phone_number_id,
            customer: Customer { number: &self.customer_number, name: self.customer_name.as_deref() },
            assistant_overrides: Overrides {
                variable_values: &self.variable_values,
                first_message: self.first_message.as_deref(),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VapiCallStatus {
    Scheduled,
    Queued,
    Ringing,
    InProgress,
    Forwarding,
    Ended,
    #[serde(other)]
    Other,
}

/// A Vapi call (`POST /call`, `GET /call/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VapiCall {
    pub id: String,
    pub status: VapiCallStatus,
    /// e.g. `customer-ended-call`, `customer-did-not-answer`, `voicemail`.
    pub ended_reason: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// USD.
    pub cost: Option<f64>,
    pub artifact: Option<Artifact>,
    pub analysis: Option<Analysis>,
    /// Where the live call is listened to and controlled.
    #[serde(default, skip_serializing)]
    pub monitor: Option<Monitor>,
}

/// A live call's monitoring URLs (`call.monitor`); the control URL takes
/// [`ControlMessage`](super::ControlMessage)s. Not kept with the call's record: it steers the
/// call while it lasts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Monitor {
    pub listen_url: Option<String>,
    pub control_url: Option<String>,
}

impl VapiCall {
    pub fn duration(&self) -> Option<Duration> {
        duration_between(self.started_at.as_deref(), self.ended_at.as_deref())
    }
}

/// What a call left behind: transcript, messages, recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub transcript: Option<String>,
    #[serde(default)]
    pub messages: Vec<ArtifactMessage>,
    pub recording_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactMessage {
    /// `bot`, `user`, `system`, `tool_calls`, …
    pub role: String,
    pub message: Option<String>,
    pub seconds_from_start: Option<f64>,
}

/// Vapi's post-call analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub summary: Option<String>,
    /// The data the assistant was asked to extract, shaped by its schema.
    pub structured_data: Option<serde_json::Value>,
    /// Its rubric decides the type: boolean, number or text.
    pub success_evaluation: Option<serde_json::Value>,
}

/// `ended - started` for two ISO 8601 instants; `None` if either is missing or unreadable.
pub(super) fn duration_between(started: Option<&str>, ended: Option<&str>) -> Option<Duration> {
    let started: jiff::Timestamp = started?.parse().ok()?;
    let ended: jiff::Timestamp = ended?.parse().ok()?;
    let millis = ended.duration_since(started).as_millis();
    Some(Duration::from_millis(u64::try_from(millis).ok()?))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::{VapiCall, VapiCallRequest, VapiCallStatus, duration_between};

    #[test]
    fn request_body_nests_customer_and_overrides() {
        let request = VapiCallRequest {
            assistant_id: "asst_1".into(),
            phone_number_id: "pn_1".into(),
            customer_number: "+15551234567".into(),
            customer_name: Some("Acme".into()),
            variable_values: [("vendorName".to_owned(), "Acme".into())].into(),
            first_message: Some("Hi Acme".into()),
        };
        assert_eq!(
            serde_json::to_value(request.wire()).unwrap(),
            json!({"assistantId":"asst_1","phoneNumberId":"pn_1","customer":{"number":"+15551234567","name":"Acme"},
                   "assistantOverrides":{"variableValues":{"vendorName":"Acme"},"firstMessage":"Hi Acme"}})
        );
    }

    #[test]
    fn reads_a_call_and_its_duration() {
        let call: VapiCall = serde_json::from_value(json!({
            "id": "call_1", "status": "ended", "endedReason": "customer-ended-call", "cost": 0.12,
            "startedAt": "2025-02-18T10:00:00.000Z", "endedAt": "2025-02-18T10:01:35.500Z", "type": "outboundPhoneCall"
        }))
        .unwrap();
        assert_eq!(call.status, VapiCallStatus::Ended);
        assert_eq!(call.duration(), Some(Duration::from_millis(95_500)));
        assert_eq!(duration_between(Some("garbage"), Some("2025-02-18T10:00:00Z")), None);
        assert_eq!(duration_between(Some("2025-02-18T10:00:00Z"), Some("2025-02-18T09:00:00Z")), None);
    }
}
