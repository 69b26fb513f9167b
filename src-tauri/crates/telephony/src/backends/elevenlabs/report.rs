//! A finished ElevenLabs conversation read as a [`FinishedCall`]: the conversation and Twilio
//! call ids, the cost in credits and the record, then the transcript, the collected values, the
//! audio fetched by GET, and the end.

use switchboard_core::{CallCost, CallState, Speaker};
use switchboard_providers::elevenlabs::{Conversation, ConversationStatus, ElevenLabsClient, TranscriptRole};

use super::{CONVERSATION_REF, TWILIO_CALL_REF};
use crate::backends::report::{FinishedCall, line, report_events};
use switchboard_audio::mp3_duration_ms;
use switchboard_engine::BackendEvent;

/// `conversation` (a final one: done or failed) as a finished call; `record` is the provider's
/// JSON as received, kept for History. The recording is fetched with `client` when there is one.
pub(crate) async fn finished_call(
    client: Option<&ElevenLabsClient>,
    conversation: &Conversation,
    record: String,
) -> FinishedCall {
    let mut refs = vec![(CONVERSATION_REF, conversation.conversation_id.clone())];
    refs.extend(
        conversation
            .metadata
            .phone_call
            .as_ref()
            .and_then(|phone| phone.call_sid.clone())
            .map(|sid| (TWILIO_CALL_REF, sid)),
    );
    let cost = conversation.metadata.cost.map(|amount| CallCost { amount, currency: "credits".to_owned() });
    let recording = recording(client, conversation).await;
    FinishedCall { refs, cost, record: Some(record), events: conversation_events(conversation, recording) }
}

/// The conversation as backend events: answered (when anyone spoke), each line, each collected
/// value, the recording, and the end.
fn conversation_events(conversation: &Conversation, recording: Option<BackendEvent>) -> Vec<BackendEvent> {
    let lines = conversation
        .transcript
        .iter()
        .filter_map(|turn| {
            let speaker = match turn.role {
                TranscriptRole::Agent => Speaker::Agent,
                TranscriptRole::User => Speaker::Callee,
                TranscriptRole::Other => return None,
            };
            line(speaker, turn.message.as_deref(), turn.time_in_call_secs)
        })
        .collect();
    let said = conversation.metadata.termination_reason.as_deref().filter(|reason| !reason.trim().is_empty());
    let (state, reason) = match conversation.status {
        ConversationStatus::Failed => {
            (CallState::Failed, format!("ElevenLabs: the conversation failed: {}", said.unwrap_or("no reason given")))
        }
        _ => (CallState::Completed, said.unwrap_or("the conversation ended").to_owned()),
    };
    report_events(lines, conversation.collected_values(), recording, state, reason)
}

/// The conversation's audio (MP3), or nothing when there is none or it cannot be fetched.
async fn recording(client: Option<&ElevenLabsClient>, conversation: &Conversation) -> Option<BackendEvent> {
    let client = client?;
    if conversation.has_audio != Some(true) {
        return None;
    }
    match client.conversation_audio(&conversation.conversation_id).await {
        Ok(audio) => {
            let reported_ms = conversation.metadata.call_duration_secs.unwrap_or_default().saturating_mul(1000);
            Some(mp3_recording(audio, reported_ms))
        }
        Err(error) => {
            tracing::warn!(%error, conversation = conversation.conversation_id, "the call's audio could not be fetched");
            None
        }
    }
}

/// MP3 `audio` as the call's recording, as long as it plays (`reported_ms` when it cannot be
/// decoded: it is kept all the same, for export).
pub(super) fn mp3_recording(audio: Vec<u8>, reported_ms: u32) -> BackendEvent {
    let duration_ms = mp3_duration_ms(&audio).unwrap_or(reported_ms);
    BackendEvent::Recording { audio, extension: "mp3", duration_ms }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::{CallState, Speaker};
    use switchboard_providers::elevenlabs::Conversation;

    use super::conversation_events;
    use switchboard_engine::BackendEvent;

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
            conversation_events(&conversation, None),
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
            conversation_events(&conversation, None),
            [BackendEvent::Ended {
                state: CallState::Failed,
                reason: "ElevenLabs: the conversation failed: twilio error".into()
            }]
        );
    }
}
