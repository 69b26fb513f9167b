//! Vapi server messages (`{"message": {"type": …}}`) posted to our server URL.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::calls::duration_between;
use super::{Analysis, Artifact, VapiCallStatus};
use crate::Provider;
use crate::payload::{PayloadError, parse_json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum VapiServerMessage {
    EndOfCallReport(Box<EndOfCallReport>),
    StatusUpdate(StatusUpdate),
    /// A message type this version does not handle.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Envelope {
    message: VapiServerMessage,
}

impl VapiServerMessage {
    /// Reads a server message body (after its secret was checked).
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_json::<Envelope>(Provider::Vapi, "server message", body).map(|envelope| envelope.message)
    }
}

/// The call the message is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRef {
    pub id: String,
}

/// Sent once the call is over and analysed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndOfCallReport {
    pub call: Option<CallRef>,
    /// e.g. `customer-ended-call`, `assistant-ended-call`, `customer-did-not-answer`,
    /// `customer-busy`, `voicemail`, `silence-timed-out`.
    pub ended_reason: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// USD.
    pub cost: Option<f64>,
    #[serde(default)]
    pub artifact: Artifact,
    #[serde(default)]
    pub analysis: Analysis,
}

impl EndOfCallReport {
    pub fn duration(&self) -> Option<Duration> {
        duration_between(self.started_at.as_deref(), self.ended_at.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    pub call: Option<CallRef>,
    pub status: VapiCallStatus,
    pub ended_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::VapiServerMessage;
    use crate::vapi::VapiCallStatus;

    #[test]
    fn reads_an_end_of_call_report() {
        let body = json!({"message": {
            "type": "end-of-call-report", "endedReason": "customer-ended-call", "cost": 0.231,
            "startedAt": "2025-02-18T10:00:00Z", "endedAt": "2025-02-18T10:02:00Z",
            "call": {"id": "call_1", "status": "ended"},
            "artifact": {"transcript": "AI: Hi\nUser: Hello", "recordingUrl": "https://storage.vapi.ai/r.wav",
                         "messages": [{"role": "bot", "message": "Hi", "secondsFromStart": 0.5},
                                      {"role": "user", "message": "Hello", "secondsFromStart": 2.1}]},
            "analysis": {"summary": "Quoted.", "structuredData": {"unit_price": 4.5}, "successEvaluation": "true"}
        }});
        let VapiServerMessage::EndOfCallReport(report) = VapiServerMessage::parse(body.to_string().as_bytes()).unwrap()
        else {
            panic!("not a report")
        };
        assert_eq!(report.call.as_ref().unwrap().id, "call_1");
        assert_eq!(report.ended_reason, "customer-ended-call");
        assert_eq!(report.duration(), Some(Duration::from_secs(120)));
        assert_eq!(report.artifact.messages[1].message.as_deref(), Some("Hello"));
        assert_eq!(report.analysis.structured_data, Some(json!({"unit_price": 4.5})));
        assert_eq!(report.cost, Some(0.231));
    }

    #[test]
    fn reads_status_updates_and_tolerates_other_types() {
        let status = br#"{"message":{"type":"status-update","status":"in-progress","call":{"id":"call_1"}}}"#;
        assert!(matches!(VapiServerMessage::parse(status).unwrap(),
            VapiServerMessage::StatusUpdate(update) if update.status == VapiCallStatus::InProgress));
        let other = br#"{"message":{"type":"speech-update","status":"started","role":"user"}}"#;
        assert_eq!(VapiServerMessage::parse(other).unwrap(), VapiServerMessage::Other);
        let error = VapiServerMessage::parse(br#"{"type":"end-of-call-report"}"#).unwrap_err();
        assert!(error.to_string().starts_with("Vapi server message could not be read"), "{error}");
    }
}
