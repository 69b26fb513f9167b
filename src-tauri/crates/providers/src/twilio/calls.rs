//! Placing a call: the `Calls.json` form, and Twilio's answer about a call.

use serde::{Deserialize, Serialize};

use super::{AnsweredBy, TwilioCallStatus, Twiml};
use crate::payload::text_number;

/// Longest TwiML Twilio takes inline in the `Twiml` parameter.
pub const MAX_INLINE_TWIML_CHARS: usize = 4000;

/// What Twilio does once the callee answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallInstructions {
    /// Fetch TwiML from this URL (POST).
    Url(String),
    /// Run this TwiML (at most [`MAX_INLINE_TWIML_CHARS`]).
    Twiml(Twiml),
}

/// How answering machine detection runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineDetectionMode {
    /// Decide as soon as possible (`Enable`).
    Enable,
    /// On a machine, wait for the end of the greeting (the beep) before reporting it.
    DetectMessageEnd,
}

/// Answering machine detection; with an async callback the call connects at once and the
/// verdict is posted there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineDetection {
    pub mode: MachineDetectionMode,
    pub async_callback: Option<String>,
    pub timeout_secs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingChannels {
    Mono,
    /// One channel per side of the call.
    Dual,
}

/// Record the call; Twilio posts to `status_callback` when the recording is ready (or absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub channels: RecordingChannels,
    pub status_callback: Option<String>,
}

/// An outbound call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCall {
    pub to: String,
    pub from: String,
    pub instructions: CallInstructions,
    /// Receives every progress event (initiated, ringing, answered, completed) by POST.
    pub status_callback: Option<String>,
    pub machine_detection: Option<MachineDetection>,
    pub recording: Option<Recording>,
    /// How long to let it ring (Twilio's default 60, max 600).
    pub ring_timeout_secs: Option<u32>,
    /// The longest the call may last.
    pub time_limit_secs: Option<u32>,
    /// Keys to press once the call connects (`SendDigits`: digits, `#`, `*`, and `w` for a
    /// half-second wait, e.g. `wwww12` for extension 12). Twilio ignores machine detection on
    /// a call that sends digits.
    pub send_digits: Option<String>,
}

/// Most keys Twilio presses for one call.
const MAX_SEND_DIGITS: usize = 32;

impl CreateCall {
    pub fn new(to: impl Into<String>, from: impl Into<String>, instructions: CallInstructions) -> Self {
        Self {
            to: to.into(),
            from: from.into(),
            instructions,
            status_callback: None,
            machine_detection: None,
            recording: None,
            ring_timeout_secs: None,
            time_limit_secs: None,
            send_digits: None,
        }
    }

    /// The form fields by their wire names, repeated fields once per value; or why Twilio
    /// would refuse them.
    pub(super) fn form(&self) -> Result<Vec<(&'static str, String)>, String> {
        if self.to.trim().is_empty() || self.from.trim().is_empty() {
            return Err("a call needs both To and From".to_owned());
        }
        let mut form = vec![("To", self.to.clone()), ("From", self.from.clone())];
        match &self.instructions {
            CallInstructions::Url(url) => form.extend([("Url", url.clone()), ("Method", "POST".to_owned())]),
            CallInstructions::Twiml(twiml) => {
                let length = twiml.as_str().chars().count();
                if length > MAX_INLINE_TWIML_CHARS {
                    return Err(format!("inline TwiML is {length} characters, over Twilio's {MAX_INLINE_TWIML_CHARS}"));
                }
                form.push(("Twiml", twiml.as_str().to_owned()));
            }
        }
        if let Some(url) = &self.status_callback {
            form.extend([("StatusCallback", url.clone()), ("StatusCallbackMethod", "POST".to_owned())]);
            for event in ["initiated", "ringing", "answered", "completed"] {
                form.push(("StatusCallbackEvent", event.to_owned()));
            }
        }
        if let Some(detection) = &self.machine_detection {
            let mode = match detection.mode {
                MachineDetectionMode::Enable => "Enable",
                MachineDetectionMode::DetectMessageEnd => "DetectMessageEnd",
            };
            form.push(("MachineDetection", mode.to_owned()));
            form.extend(detection.timeout_secs.map(|secs| ("MachineDetectionTimeout", secs.to_string())));
            if let Some(url) = &detection.async_callback {
                form.extend([
                    ("AsyncAmd", "true".to_owned()),
                    ("AsyncAmdStatusCallback", url.clone()),
                    ("AsyncAmdStatusCallbackMethod", "POST".to_owned()),
                ]);
            }
        }
        if let Some(recording) = &self.recording {
            let channels = match recording.channels {
                RecordingChannels::Mono => "mono",
                RecordingChannels::Dual => "dual",
            };
            form.extend([("Record", "true".to_owned()), ("RecordingChannels", channels.to_owned())]);
            if let Some(url) = &recording.status_callback {
                form.extend([
                    ("RecordingStatusCallback", url.clone()),
                    ("RecordingStatusCallbackMethod", "POST".to_owned()),
                    ("RecordingStatusCallbackEvent", "completed".to_owned()),
                    ("RecordingStatusCallbackEvent", "absent".to_owned()),
                ]);
            }
        }
        if let Some(digits) = &self.send_digits {
            let keys = |c: char| c.is_ascii_digit() || matches!(c, 'A'..='D' | '#' | '*' | 'w' | 'W');
            if digits.is_empty() || digits.chars().count() > MAX_SEND_DIGITS || !digits.chars().all(keys) {
                return Err(format!("SendDigits {digits:?} is not up to {MAX_SEND_DIGITS} of 0-9, A-D, #, * and w"));
            }
            form.push(("SendDigits", digits.clone()));
        }
        form.extend(self.ring_timeout_secs.map(|secs| ("Timeout", secs.to_string())));
        form.extend(self.time_limit_secs.map(|secs| ("TimeLimit", secs.to_string())));
        Ok(form)
    }
}

/// Twilio's answer about a call (create, fetch, update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioCall {
    /// `CA…`
    pub sid: String,
    pub account_sid: Option<String>,
    pub parent_call_sid: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    pub status: TwilioCallStatus,
    /// RFC 2822, once the call started.
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    #[serde(rename = "duration", default, deserialize_with = "text_number::optional")]
    pub duration_secs: Option<u32>,
    /// Decimal text, negative for a charge (`"-0.0085"`).
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub direction: Option<String>,
    pub answered_by: Option<AnsweredBy>,
    pub date_created: Option<String>,
}

impl TwilioCall {
    /// What Twilio charged for the call, in `price_unit` (USD when absent): Twilio writes a
    /// charge as a negative price. `None` until Twilio has priced the call.
    pub fn charge(&self) -> Option<(f64, &str)> {
        let price = self.price.as_deref()?.trim().parse::<f64>().ok().filter(|price| price.is_finite())?;
        Some((price.abs(), self.price_unit.as_deref().unwrap_or("USD")))
    }
}

#[cfg(test)]
mod tests {
    use super::{AnsweredBy, TwilioCall, TwilioCallStatus};

    /// A fetched call as Twilio's Call resource has it (twilio-python's `CallInstance` fields).
    fn fetched(status: &str, duration: Option<&str>, price: Option<&str>, answered_by: Option<&str>) -> TwilioCall {
        let body = serde_json::json!({
            "sid": "CA42", "account_sid": "AC123", "parent_call_sid": null, "to": "+15551234567",
            "from": "+15550001111", "to_formatted": "(555) 123-4567", "from_formatted": "(555) 000-1111",
            "phone_number_sid": "PN1", "status": status, "start_time": "Tue, 01 Dec 2026 16:00:00 +0000",
            "end_time": duration.map(|_| "Tue, 01 Dec 2026 16:01:35 +0000"), "duration": duration,
            "price": price, "price_unit": "USD", "direction": "outbound-api", "answered_by": answered_by,
            "api_version": "2010-04-01", "forwarded_from": null, "group_sid": null, "caller_name": null,
            "queue_time": "0", "trunk_sid": null, "date_created": "Tue, 01 Dec 2026 15:59:58 +0000",
            "date_updated": "Tue, 01 Dec 2026 16:01:36 +0000",
            "uri": "/2010-04-01/Accounts/AC123/Calls/CA42.json",
            "subresource_uris": {"recordings": "/2010-04-01/Accounts/AC123/Calls/CA42/Recordings.json"}
        });
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn a_fetched_call_reads_status_duration_price_and_verdict() {
        let call = fetched("completed", Some("95"), Some("-0.01300"), Some("machine_end_beep"));
        assert_eq!((call.sid.as_str(), call.status), ("CA42", TwilioCallStatus::Completed));
        assert_eq!(call.duration_secs, Some(95));
        assert_eq!(call.answered_by, Some(AnsweredBy::MachineEndBeep));
        assert_eq!(call.charge(), Some((0.013, "USD")));
        assert!(call.status.is_terminal());
    }

    #[test]
    fn a_live_or_unpriced_call_has_no_duration_or_charge() {
        let call = fetched("in-progress", None, None, None);
        assert_eq!((call.status, call.duration_secs, call.answered_by), (TwilioCallStatus::InProgress, None, None));
        assert_eq!(call.charge(), None);
        assert!(!call.status.is_terminal());
        for status in ["queued", "ringing", "canceled", "failed", "busy", "no-answer"] {
            let read = fetched(status, Some(""), Some("not a price"), None);
            assert_eq!((read.duration_secs, read.charge()), (None, None), "{status}");
            assert_ne!(read.status, TwilioCallStatus::Other, "{status}");
        }
    }
}
