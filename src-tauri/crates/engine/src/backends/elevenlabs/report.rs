//! A finished ElevenLabs conversation applied to its call: the provider's facts (ids, cost, its
//! record) straight to the store, then everything else as backend events through
//! [`CallReports`], so the call task applies them as it does any backend's.

use std::sync::Arc;

use switchboard_core::{CallCost, CallState, CallSummary, Speaker};
use switchboard_providers::elevenlabs::{Conversation, ConversationStatus, ElevenLabsClient, TranscriptRole};

use super::{CONVERSATION_REF, TWILIO_CALL_REF};
use crate::dispatcher::blocking;
use crate::{BackendEvent, CallReports, EngineError};

/// Applies `conversation` (a final one: done or failed) to `call`; `record` is the provider's
/// JSON as received, kept for History. The recording is fetched with `client` when there is one.
pub(crate) async fn apply_conversation(
    reports: &CallReports,
    client: Option<&ElevenLabsClient>,
    call: &CallSummary,
    conversation: &Conversation,
    record: String,
) -> Result<(), EngineError> {
    let store = Arc::clone(reports.store());
    let (id, conversation_id) = (call.id, conversation.conversation_id.clone());
    let call_sid = conversation.metadata.phone_call.as_ref().and_then(|phone| phone.call_sid.clone());
    let cost = conversation.metadata.cost.map(|amount| CallCost { amount, currency: "credits".to_owned() });
    blocking(move || {
        store.set_provider_ref(id, CONVERSATION_REF, &conversation_id)?;
        if let Some(sid) = &call_sid {
            store.set_provider_ref(id, TWILIO_CALL_REF, sid)?;
        }
        if let Some(cost) = &cost {
            store.set_call_cost(id, cost)?;
        }
        store.set_provider_record(id, &record)
    })
    .await?;
    let mut events = conversation_events(conversation);
    if let Some(recording) = recording(client, conversation).await {
        events.insert(events.len() - 1, recording);
    }
    reports.deliver(call, events).await
}

/// The conversation as backend events: answered (when anyone spoke), each line, each collected
/// value, and the end.
fn conversation_events(conversation: &Conversation) -> Vec<BackendEvent> {
    let lines: Vec<BackendEvent> = conversation
        .transcript
        .iter()
        .filter_map(|turn| {
            let speaker = match turn.role {
                TranscriptRole::Agent => Speaker::Agent,
                TranscriptRole::User => Speaker::Callee,
                TranscriptRole::Other => return None,
            };
            let text = turn.message.as_deref().map(str::trim).filter(|text| !text.is_empty())?;
            let offset_ms = (turn.time_in_call_secs.max(0.0) * 1000.0).round() as u32;
            Some(BackendEvent::Line { speaker, text: text.to_owned(), offset_ms })
        })
        .collect();
    let mut events = Vec::with_capacity(lines.len() + 2);
    if !lines.is_empty() {
        events.push(BackendEvent::Answered);
    }
    events.extend(lines);
    events.extend(conversation.collected_values().filter_map(|(key, value)| {
        let value = match value {
            serde_json::Value::Null => return None,
            serde_json::Value::String(text) => text.trim().to_owned(),
            other => other.to_string(),
        };
        (!value.is_empty()).then(|| BackendEvent::Field { key: key.to_owned(), value })
    }));
    let said = conversation.metadata.termination_reason.as_deref().filter(|reason| !reason.trim().is_empty());
    let (state, reason) = match conversation.status {
        ConversationStatus::Failed => {
            (CallState::Failed, format!("ElevenLabs: the conversation failed: {}", said.unwrap_or("no reason given")))
        }
        _ => (CallState::Completed, said.unwrap_or("the conversation ended").to_owned()),
    };
    events.push(BackendEvent::Ended { state, reason });
    events
}

/// The conversation's audio (MP3; History's player reads WAV only, so it is kept for export),
/// or nothing when there is none or it cannot be fetched.
async fn recording(client: Option<&ElevenLabsClient>, conversation: &Conversation) -> Option<BackendEvent> {
    let client = client?;
    if conversation.has_audio != Some(true) {
        return None;
    }
    match client.conversation_audio(&conversation.conversation_id).await {
        Ok(audio) => {
            let duration_ms = conversation.metadata.call_duration_secs.unwrap_or_default().saturating_mul(1000);
            Some(BackendEvent::Recording { audio, extension: "mp3", duration_ms })
        }
        Err(error) => {
            tracing::warn!(%error, conversation = conversation.conversation_id, "the call's audio could not be fetched");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::{CallState, Speaker};
    use switchboard_providers::elevenlabs::Conversation;

    use super::conversation_events;
    use crate::BackendEvent;

    #[test]
    fn turns_become_lines_and_collected_values_fields() {
        let conversation: Conversation = serde_json::from_value(json!({
            "conversation_id": "conv_1", "status": "done",
            "transcript": [
                {"role": "agent", "message": "Hi, is this Acme?", "time_in_call_secs": 0.4},
                {"role": "user", "message": "Yes. $4.50 a unit.", "time_in_call_secs": 3},
                {"role": "agent", "message": null, "time_in_call_secs": 7}
            ],
            "metadata": {"termination_reason": "end_call tool"},
            "analysis": {"data_collection_results": {
                "unit_price": {"data_collection_id": "unit_price", "value": 4.5},
                "terms": {"data_collection_id": "terms", "value": null},
                "shipping": {"data_collection_id": "shipping", "value": "FOB origin"}}}
        }))
        .unwrap();
        assert_eq!(
            conversation_events(&conversation),
            [
                BackendEvent::Answered,
                BackendEvent::Line { speaker: Speaker::Agent, text: "Hi, is this Acme?".into(), offset_ms: 400 },
                BackendEvent::Line { speaker: Speaker::Callee, text: "Yes. $4.50 a unit.".into(), offset_ms: 3000 },
                BackendEvent::Field { key: "shipping".into(), value: "FOB origin".into() },
                BackendEvent::Field { key: "unit_price".into(), value: "4.5".into() },
                BackendEvent::Ended { state: CallState::Completed, reason: "end_call tool".into() },
            ]
        );
    }

    #[test]
    fn a_failed_conversation_fails_the_call_with_the_providers_reason() {
        let conversation: Conversation = serde_json::from_value(json!({
            "conversation_id": "conv_1", "status": "failed", "metadata": {"termination_reason": "twilio error"}
        }))
        .unwrap();
        assert_eq!(
            conversation_events(&conversation),
            [BackendEvent::Ended {
                state: CallState::Failed,
                reason: "ElevenLabs: the conversation failed: twilio error".into()
            }]
        );
    }
}
