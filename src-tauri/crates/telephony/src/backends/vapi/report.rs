//! A finished Vapi call read as a [`FinishedCall`], from its end-of-call report or from the call
//! fetched by the reconciler (both carry the same facts): Vapi's call id, the cost in USD, the
//! record, then the transcript (`artifact.messages`), the structured data as collected values,
//! the recording fetched from `artifact.recordingUrl`, and the end from `endedReason`.

use std::time::Duration;

use switchboard_core::{CallCost, CallState, Speaker};
use switchboard_providers::vapi::{Analysis, Artifact, EndOfCallReport, VapiCall, VapiClient};

use super::CALL_REF;
use crate::backends::report::{FinishedCall, line, report_events};
use switchboard_engine::BackendEvent;

/// What Vapi reported about a call that ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallOutcome<'a> {
    pub(crate) call_id: Option<&'a str>,
    pub(crate) ended_reason: Option<&'a str>,
    /// USD.
    pub(crate) cost: Option<f64>,
    pub(crate) artifact: Option<&'a Artifact>,
    pub(crate) analysis: Option<&'a Analysis>,
    pub(crate) duration: Option<Duration>,
}

impl<'a> From<&'a EndOfCallReport> for CallOutcome<'a> {
    fn from(report: &'a EndOfCallReport) -> Self {
        Self {
            call_id: report.call.as_ref().map(|call| call.id.as_str()),
            ended_reason: Some(&report.ended_reason),
            cost: report.cost,
            artifact: Some(&report.artifact),
            analysis: Some(&report.analysis),
            duration: report.duration(),
        }
    }
}

impl<'a> From<&'a VapiCall> for CallOutcome<'a> {
    fn from(call: &'a VapiCall) -> Self {
        Self {
            call_id: Some(&call.id),
            ended_reason: call.ended_reason.as_deref(),
            cost: call.cost,
            artifact: call.artifact.as_ref(),
            analysis: call.analysis.as_ref(),
            duration: call.duration(),
        }
    }
}

/// The ended call as a finished call; `record` is Vapi's JSON as received, kept for History.
/// The recording is fetched with `client` when there is one.
pub(crate) async fn finished_call(
    client: Option<&VapiClient>,
    outcome: &CallOutcome<'_>,
    record: String,
) -> FinishedCall {
    let refs = outcome.call_id.map(|id| (CALL_REF, id.to_owned())).into_iter().collect();
    let cost = outcome.cost.map(|amount| CallCost { amount, currency: "USD".to_owned() });
    let recording = recording(client, outcome).await;
    FinishedCall { refs, cost, record: Some(record), events: outcome_events(outcome, recording) }
}

/// The outcome as backend events: answered (when anyone spoke), each line, each structured
/// data value, the recording, and the end.
fn outcome_events(outcome: &CallOutcome<'_>, recording: Option<BackendEvent>) -> Vec<BackendEvent> {
    let messages = outcome.artifact.map(|artifact| artifact.messages.as_slice()).unwrap_or_default();
    let lines = messages
        .iter()
        .filter_map(|message| {
            let speaker = match message.role.as_str() {
                "bot" | "assistant" => Speaker::Agent,
                "user" => Speaker::Callee,
                _ => return None,
            };
            line(speaker, message.message.as_deref(), message.seconds_from_start.unwrap_or_default())
        })
        .collect();
    let structured = outcome.analysis.and_then(|analysis| analysis.structured_data.as_ref());
    let collected = structured.and_then(serde_json::Value::as_object).into_iter().flatten();
    let (state, reason) = ended_state(outcome.ended_reason.unwrap_or("ended"));
    report_events(lines, collected.map(|(key, value)| (key.as_str(), value)), recording, state, reason)
}

/// The terminal state and reason for Vapi's `endedReason`.
pub(crate) fn ended_state(ended_reason: &str) -> (CallState, String) {
    let state = match ended_reason {
        "customer-did-not-answer" => CallState::NoAnswer,
        "customer-busy" => CallState::Busy,
        "voicemail" => CallState::Voicemail,
        reason if reason.contains("error") || reason.contains("failed") => CallState::Failed,
        _ => CallState::Completed,
    };
    (state, format!("Vapi: {ended_reason}"))
}

/// The call's recording (WAV or MP3, told apart by its first bytes), or nothing when there is
/// none or it cannot be fetched.
async fn recording(client: Option<&VapiClient>, outcome: &CallOutcome<'_>) -> Option<BackendEvent> {
    let client = client?;
    let url = outcome.artifact?.recording_url.as_deref().filter(|url| !url.trim().is_empty())?;
    let audio = match client.recording(url).await {
        Ok(audio) => audio,
        Err(error) => {
            tracing::warn!(%error, call = outcome.call_id, "the call's recording could not be fetched");
            return None;
        }
    };
    let Some(extension) = audio_extension(&audio) else {
        tracing::warn!(call = outcome.call_id, "the call's recording is neither WAV nor MP3; it is not kept");
        return None;
    };
    let duration_ms = outcome.duration.map_or(0, |duration| u32::try_from(duration.as_millis()).unwrap_or(u32::MAX));
    Some(BackendEvent::Recording { audio, extension, duration_ms })
}

/// "wav" for a RIFF/WAVE file, "mp3" for an ID3 tag or an MPEG audio frame.
fn audio_extension(audio: &[u8]) -> Option<&'static str> {
    match audio {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Some("wav"),
        [b'I', b'D', b'3', ..] => Some("mp3"),
        [0xFF, second, ..] if second & 0xE0 == 0xE0 => Some("mp3"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::{CallState, Speaker};
    use switchboard_providers::vapi::{EndOfCallReport, VapiCall, VapiServerMessage};

    use super::{CallOutcome, audio_extension, ended_state, outcome_events};
    use switchboard_engine::BackendEvent;

    fn report(message: serde_json::Value) -> EndOfCallReport {
        match VapiServerMessage::parse(json!({ "message": message }).to_string().as_bytes()).unwrap() {
            VapiServerMessage::EndOfCallReport(report) => *report,
            other => panic!("not a report: {other:?}"),
        }
    }

    #[test]
    fn messages_become_lines_and_structured_data_fields() {
        let report = report(json!({
            "type": "end-of-call-report", "endedReason": "assistant-ended-call", "call": {"id": "call_1"},
            "artifact": {"messages": [
                {"role": "system", "message": "You call Acme.", "secondsFromStart": 0},
                {"role": "bot", "message": "Hi, is this Acme?", "secondsFromStart": 0.4},
                {"role": "user", "message": " Yes. $4.50 a unit. ", "secondsFromStart": 3},
                {"role": "tool_calls", "message": null, "secondsFromStart": 5},
                {"role": "bot", "message": "", "secondsFromStart": 7}
            ]},
            "analysis": {"structuredData": {"unit_price": 4.5, "moq": 500, "terms": null, "shipping": "FOB origin",
                                            "lead_time": " "}}
        }));
        assert_eq!(
            outcome_events(&CallOutcome::from(&report), None),
            [
                BackendEvent::Answered,
                BackendEvent::Line { speaker: Speaker::Agent, text: "Hi, is this Acme?".into(), offset_ms: 400 },
                BackendEvent::Line { speaker: Speaker::Callee, text: "Yes. $4.50 a unit.".into(), offset_ms: 3000 },
                BackendEvent::Field { key: "moq".into(), value: "500".into() },
                BackendEvent::Field { key: "shipping".into(), value: "FOB origin".into() },
                BackendEvent::Field { key: "unit_price".into(), value: "4.5".into() },
                BackendEvent::Ended { state: CallState::Completed, reason: "Vapi: assistant-ended-call".into() },
            ]
        );
    }

    #[test]
    fn a_call_nobody_answered_ends_with_its_reason_and_nothing_else() {
        let report = report(json!({"type": "end-of-call-report", "endedReason": "customer-did-not-answer"}));
        let recording = BackendEvent::Recording { audio: vec![1], extension: "wav", duration_ms: 0 };
        assert_eq!(
            outcome_events(&CallOutcome::from(&report), Some(recording.clone())),
            [
                recording,
                BackendEvent::Ended { state: CallState::NoAnswer, reason: "Vapi: customer-did-not-answer".into() }
            ]
        );
    }

    #[test]
    fn a_fetched_call_reads_like_its_report() {
        let call: VapiCall = serde_json::from_value(json!({
            "id": "call_1", "status": "ended", "endedReason": "customer-busy", "cost": 0.02,
            "artifact": {"messages": []}, "analysis": {"structuredData": {}}
        }))
        .unwrap();
        let outcome = CallOutcome::from(&call);
        assert_eq!((outcome.call_id, outcome.cost), (Some("call_1"), Some(0.02)));
        assert_eq!(
            outcome_events(&outcome, None),
            [BackendEvent::Ended { state: CallState::Busy, reason: "Vapi: customer-busy".into() }]
        );
    }

    #[test]
    fn ended_reasons_map_to_terminal_states() {
        let state = |reason| ended_state(reason).0;
        assert_eq!(state("customer-ended-call"), CallState::Completed);
        assert_eq!(state("silence-timed-out"), CallState::Completed);
        assert_eq!(state("voicemail"), CallState::Voicemail);
        assert_eq!(state("customer-busy"), CallState::Busy);
        assert_eq!(state("pipeline-error-openai-llm-failed"), CallState::Failed);
        assert_eq!(state("twilio-failed-to-connect-call"), CallState::Failed);
    }

    #[test]
    fn recordings_are_told_apart_by_their_first_bytes() {
        assert_eq!(audio_extension(b"RIFF\x24\0\0\0WAVEfmt "), Some("wav"));
        assert_eq!(audio_extension(b"ID3\x04\0"), Some("mp3"));
        assert_eq!(audio_extension(&[0xFF, 0xFB, 0x90]), Some("mp3"));
        assert_eq!(audio_extension(b"<html>"), None);
        assert_eq!(audio_extension(b""), None);
    }
}
