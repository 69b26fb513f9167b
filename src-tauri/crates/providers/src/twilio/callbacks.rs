//! Twilio's form-encoded callbacks: call progress, recordings, async AMD, and `<Gather>` results.
//! They serialize back to the same form, for the loopback fake.

use serde::{Deserialize, Serialize};

use super::{AnsweredBy, TwilioCallStatus};
use crate::Provider;
use crate::payload::{PayloadError, parse_form, text_number};

/// A call progress event (`StatusCallback`). They can arrive out of order: order them by
/// `sequence_number`, and never let a late one undo a terminal status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusCallback {
    pub call_sid: String,
    pub account_sid: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The `answered` event arrives as `in-progress`.
    pub call_status: TwilioCallStatus,
    pub direction: Option<String>,
    pub api_version: Option<String>,
    /// Seconds, on terminal events.
    #[serde(rename = "CallDuration", default, deserialize_with = "text_number::optional")]
    pub call_duration_secs: Option<u32>,
    #[serde(default, deserialize_with = "text_number::optional")]
    pub sip_response_code: Option<u16>,
    #[serde(default, deserialize_with = "text_number::optional")]
    pub sequence_number: Option<u32>,
    pub timestamp: Option<String>,
    pub answered_by: Option<AnsweredBy>,
    pub recording_url: Option<String>,
    pub recording_sid: Option<String>,
    #[serde(rename = "RecordingDuration", default, deserialize_with = "text_number::optional")]
    pub recording_duration_secs: Option<u32>,
}

impl StatusCallback {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_form(Provider::Twilio, "status callback", body)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordingStatus {
    InProgress,
    Completed,
    /// No recording was made (e.g. the call was too short).
    Absent,
    #[serde(other)]
    Other,
}

/// A recording status event (`RecordingStatusCallback`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordingCallback {
    pub call_sid: String,
    pub recording_sid: String,
    pub recording_url: Option<String>,
    pub recording_status: RecordingStatus,
    #[serde(rename = "RecordingDuration", default, deserialize_with = "text_number::optional")]
    pub recording_duration_secs: Option<u32>,
    #[serde(default, deserialize_with = "text_number::optional")]
    pub recording_channels: Option<u8>,
    pub recording_track: Option<String>,
}

impl RecordingCallback {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_form(Provider::Twilio, "recording callback", body)
    }
}

/// The asynchronous answering machine verdict (`AsyncAmdStatusCallback`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmdCallback {
    pub call_sid: String,
    pub account_sid: String,
    pub answered_by: AnsweredBy,
    #[serde(rename = "MachineDetectionDuration", default, deserialize_with = "text_number::optional")]
    pub detection_millis: Option<u32>,
}

impl AmdCallback {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_form(Provider::Twilio, "AMD callback", body)
    }
}

/// What `<Gather>` heard, posted to its `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GatherResult {
    pub call_sid: String,
    pub speech_result: Option<String>,
    /// 0.0–1.0; may be absent.
    #[serde(default, deserialize_with = "text_number::optional")]
    pub confidence: Option<f32>,
    pub digits: Option<String>,
}

impl GatherResult {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        parse_form(Provider::Twilio, "gather result", body)
    }
}

#[cfg(test)]
mod tests {
    use super::{AmdCallback, GatherResult, RecordingCallback, RecordingStatus, StatusCallback};
    use crate::twilio::{AnsweredBy, TwilioCallStatus};

    #[test]
    fn a_completed_status_callback() {
        let body = b"AccountSid=AC1&ApiVersion=2010-04-01&CallSid=CA1&CallStatus=completed&Called=%2B15551234567\
            &Caller=%2B15550001111&CallDuration=42&Direction=outbound-api&From=%2B15550001111&To=%2B15551234567\
            &SequenceNumber=3&SipResponseCode=200&Timestamp=Tue%2C+18+Feb+2025+10%3A00%3A00+%2B0000\
            &CallbackSource=call-progress-events&Duration=1&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2Fr%2FRE1\
            &RecordingSid=RE1&RecordingDuration=40&AnsweredBy=human";
        let callback = StatusCallback::parse(body).unwrap();
        assert_eq!(callback.call_sid, "CA1");
        assert_eq!(callback.call_status, TwilioCallStatus::Completed);
        assert_eq!(callback.to.as_deref(), Some("+15551234567"));
        assert_eq!(callback.call_duration_secs, Some(42));
        assert_eq!(callback.sequence_number, Some(3));
        assert_eq!(callback.sip_response_code, Some(200));
        assert_eq!(callback.timestamp.as_deref(), Some("Tue, 18 Feb 2025 10:00:00 +0000"));
        assert_eq!(callback.recording_duration_secs, Some(40));
        assert_eq!(callback.answered_by, Some(AnsweredBy::Human));
    }

    #[test]
    fn an_early_status_callback_has_no_duration() {
        let body = b"AccountSid=AC1&CallSid=CA1&CallStatus=ringing&SequenceNumber=1&CallDuration=";
        let callback = StatusCallback::parse(body).unwrap();
        assert_eq!(callback.call_status, TwilioCallStatus::Ringing);
        assert_eq!(callback.call_duration_secs, None);
        assert_eq!(callback.answered_by, None);
    }

    #[test]
    fn callbacks_serialize_to_the_form_they_parse_from() {
        let body =
            b"CallSid=CA1&AccountSid=AC1&From=%2B15550001111&CallStatus=in-progress&SequenceNumber=2&AnsweredBy=human";
        let callback = StatusCallback::parse(body).unwrap();
        let form = serde_urlencoded::to_string(&callback).unwrap();
        assert_eq!(
            form,
            "CallSid=CA1&AccountSid=AC1&From=%2B15550001111&CallStatus=in-progress&SequenceNumber=2&AnsweredBy=human"
        );
        assert_eq!(StatusCallback::parse(form.as_bytes()).unwrap(), callback);
        let amd = AmdCallback::parse(b"CallSid=CA1&AccountSid=AC1&AnsweredBy=fax").unwrap();
        assert_eq!(AmdCallback::parse(serde_urlencoded::to_string(&amd).unwrap().as_bytes()).unwrap(), amd);
    }

    #[test]
    fn a_malformed_status_callback_names_the_provider() {
        let error = StatusCallback::parse(b"CallStatus=completed").unwrap_err();
        assert!(error.to_string().starts_with("Twilio status callback could not be read"), "{error}");
        assert!(StatusCallback::parse(b"AccountSid=AC1&CallSid=CA1&CallStatus=busy&CallDuration=x").is_err());
    }

    #[test]
    fn recording_amd_and_gather_callbacks() {
        let recording = RecordingCallback::parse(
            b"CallSid=CA1&RecordingSid=RE1&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2FRE1&RecordingStatus=completed\
              &RecordingDuration=40&RecordingChannels=2&RecordingTrack=both",
        )
        .unwrap();
        assert_eq!(recording.recording_status, RecordingStatus::Completed);
        assert_eq!((recording.recording_duration_secs, recording.recording_channels), (Some(40), Some(2)));

        let amd =
            AmdCallback::parse(b"CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_end_beep&MachineDetectionDuration=4210")
                .unwrap();
        assert!(amd.answered_by.is_machine());
        assert_eq!(amd.detection_millis, Some(4210));

        let gather = GatherResult::parse(b"CallSid=CA1&SpeechResult=Yes%2C+this+is+Acme.&Confidence=0.92").unwrap();
        assert_eq!(gather.speech_result.as_deref(), Some("Yes, this is Acme."));
        assert_eq!(gather.confidence, Some(0.92));
        let silent = GatherResult::parse(b"CallSid=CA1").unwrap();
        assert_eq!((silent.speech_result, silent.confidence), (None, None));
    }
}
