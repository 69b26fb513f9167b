//! An ended Ultravox call as a [`FinishedCall`]: the provider's record and id, and its messages
//! as backend events (answered, each line, each value the agent recorded with its `record_field`
//! tool, the end), delivered through [`CallReports`](switchboard_engine::CallReports).

use switchboard_core::{CallState, Speaker};
use switchboard_providers::Provider;
use switchboard_providers::ultravox::{CallMessage, EndReason, MessageRole, UltravoxCall, UltravoxClient};

use super::{RECORD_FIELD_TOOL, ULTRAVOX_CALL_REF, ended_state};
use crate::backends::report::{FinishedCall, field};
use switchboard_engine::BackendEvent;

/// Whether a change the listener read means the call may have ended on Ultravox's side, so
/// its report should be fetched: any end Ultravox reports, or Twilio's `completed` (a busy
/// line or no answer never reached Ultravox; those end the call as reported).
pub(crate) fn reports_end(provider: Provider, state: CallState) -> bool {
    match provider {
        Provider::Ultravox => state.is_terminal(),
        // Status callbacks: Twilio's other callbacks are notices, or a person answering.
        Provider::Twilio => state == CallState::Completed,
        _ => false,
    }
}

/// An ended Ultravox call as a finished call, with its messages when they can be fetched;
/// `record` is the call as JSON.
pub(super) async fn finished_call(client: &UltravoxClient, ultravox: &UltravoxCall, record: String) -> FinishedCall {
    let messages = client.call_messages(&ultravox.call_id).await.map_err(|error| error.to_string());
    let messages = messages.inspect_err(|error| {
        tracing::warn!(ultravox = ultravox.call_id, %error, "the Ultravox call's messages could not be fetched");
    });
    FinishedCall {
        refs: vec![(ULTRAVOX_CALL_REF, ultravox.call_id.clone())],
        cost: None,
        record: Some(record),
        events: call_events(ultravox, messages),
    }
}

/// The call as backend events. Without its messages (they could not be fetched) the call still
/// ends, its reason saying the transcript is missing.
fn call_events(ultravox: &UltravoxCall, messages: Result<Vec<CallMessage>, String>) -> Vec<BackendEvent> {
    let mut events = Vec::new();
    if ultravox.joined.is_some() {
        events.push(BackendEvent::Answered);
    }
    let mut reason = ultravox
        .short_summary
        .as_deref()
        .map(str::trim)
        .filter(|summary| !summary.is_empty())
        .map_or_else(|| describe(ultravox.end_reason), str::to_owned);
    match messages {
        Ok(messages) => {
            let mut last: Option<u32> = None;
            for message in &messages {
                let text = message.text.as_deref().map(str::trim).unwrap_or_default();
                let speaker = match message.role {
                    MessageRole::Agent => Speaker::Agent,
                    MessageRole::User => Speaker::Callee,
                    MessageRole::ToolCall if message.tool_name.as_deref() == Some(RECORD_FIELD_TOOL) => {
                        events.extend(recorded_field(text));
                        continue;
                    }
                    _ => continue,
                };
                if text.is_empty() {
                    continue;
                }
                // Lines keep their order even when a timespan is missing or out of step.
                let said_at = message.timespan.as_ref().and_then(|span| span.start_millis());
                let offset_ms = match (last, said_at) {
                    (Some(last), said_at) => said_at.unwrap_or(0).max(last.saturating_add(1)),
                    (None, said_at) => said_at.unwrap_or(0),
                };
                last = Some(offset_ms);
                events.push(BackendEvent::Line { speaker, text: text.to_owned(), offset_ms });
            }
        }
        Err(error) => reason.push_str(&format!(" (no transcript: {error})")),
    }
    events.push(BackendEvent::Ended { state: ended_state(ultravox.end_reason), reason });
    events
}

/// A `record_field` call's arguments (`{"key": …, "value": …}`) as a field; anything else is
/// skipped with a warning, never guessed at.
fn recorded_field(arguments: &str) -> Option<BackendEvent> {
    let parsed: serde_json::Value = match serde_json::from_str(arguments) {
        Ok(parsed) => parsed,
        Err(error) => {
            tracing::warn!(%error, "a record_field call with unreadable arguments was skipped");
            return None;
        }
    };
    let key = parsed.get("key").and_then(serde_json::Value::as_str).map(str::trim).filter(|key| !key.is_empty())?;
    field(key, parsed.get("value")?)
}

fn describe(end_reason: Option<EndReason>) -> String {
    match end_reason {
        Some(EndReason::Unjoined) => "the call never connected to the agent (Ultravox: unjoined)",
        Some(EndReason::Hangup) => "the callee hung up",
        Some(EndReason::AgentHangup) => "the agent ended the call",
        Some(EndReason::Timeout) => "the call reached its maximum duration",
        Some(EndReason::ConnectionError) => "Ultravox lost the connection to the call",
        Some(EndReason::SystemError) => "Ultravox failed during the call",
        Some(EndReason::Other) | None => "the call ended (Ultravox)",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::{CallState, Speaker};
    use switchboard_providers::ultravox::{CallMessage, UltravoxCall};

    use super::call_events;
    use switchboard_engine::BackendEvent;

    fn ended(reason: &str) -> UltravoxCall {
        serde_json::from_value(json!({"callId": "c1", "joined": "2025-02-18T10:00:01Z",
            "ended": "2025-02-18T10:02:00Z", "endReason": reason, "shortSummary": null}))
        .unwrap()
    }

    #[test]
    fn messages_become_lines_and_record_field_calls_fields() {
        let messages: Vec<CallMessage> = serde_json::from_value(json!([
            {"role": "MESSAGE_ROLE_AGENT", "text": "Hi, is this Acme?", "timespan": {"start": "0.6s"}},
            {"role": "MESSAGE_ROLE_USER", "text": "Yes. $4.50 a unit.", "timespan": {"start": "3s"}},
            {"role": "MESSAGE_ROLE_TOOL_CALL", "toolName": "record_field", "text": "{\"key\":\"unit_price\",\"value\":4.5}"},
            {"role": "MESSAGE_ROLE_TOOL_RESULT", "toolName": "record_field", "text": "recorded"},
            {"role": "MESSAGE_ROLE_TOOL_CALL", "toolName": "record_field", "text": "not json"},
            {"role": "MESSAGE_ROLE_TOOL_CALL", "toolName": "hangUp", "text": "{\"key\":\"x\",\"value\":\"y\"}"},
            {"role": "MESSAGE_ROLE_AGENT", "text": "Thanks, bye."}
        ]))
        .unwrap();
        assert_eq!(
            call_events(&ended("agent_hangup"), Ok(messages)),
            [
                BackendEvent::Answered,
                BackendEvent::Line { speaker: Speaker::Agent, text: "Hi, is this Acme?".into(), offset_ms: 600 },
                BackendEvent::Line { speaker: Speaker::Callee, text: "Yes. $4.50 a unit.".into(), offset_ms: 3000 },
                BackendEvent::Field { key: "unit_price".into(), value: "4.5".into() },
                BackendEvent::Line { speaker: Speaker::Agent, text: "Thanks, bye.".into(), offset_ms: 3001 },
                BackendEvent::Ended { state: CallState::Completed, reason: "the agent ended the call".into() },
            ]
        );
    }

    #[test]
    fn an_unjoined_call_without_messages_ends_unanswered_saying_why() {
        let unjoined: UltravoxCall =
            serde_json::from_value(json!({"callId": "c1", "ended": "2025-02-18T10:02:00Z", "endReason": "unjoined"}))
                .unwrap();
        assert_eq!(
            call_events(&unjoined, Err("Ultravox HTTP 503".into())),
            [BackendEvent::Ended {
                state: CallState::NoAnswer,
                reason: "the call never connected to the agent (Ultravox: unjoined) (no transcript: Ultravox HTTP 503)"
                    .into()
            }]
        );
    }
}
