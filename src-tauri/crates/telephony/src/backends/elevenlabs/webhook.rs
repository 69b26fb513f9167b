//! ElevenLabs' post-call webhook (`ElevenLabs-Signature`, HMAC over the timestamped body): a
//! post-call transcription carries the whole conversation, applied as the call's report; the
//! post-call audio (MP3) becomes the call's recording; a call initiation failure ends the call
//! as busy, unanswered or failed, in ElevenLabs' words.

use std::time::SystemTime;

use switchboard_core::CallState;
use switchboard_providers::elevenlabs::{Conversation, ConversationStatus, ElevenLabsWebhook};
use switchboard_providers::signature::ELEVENLABS_SIGNATURE_HEADER;
use switchboard_providers::{PayloadError, Provider};

use super::finished_call;
use super::report::mp3_recording;
use crate::ProviderSet;
use crate::backends::report::FinishedCall;
use crate::backends::webhook::{CallChange, CarriedReport, Webhook};
use switchboard_engine::BoxFuture;

pub(super) const WEBHOOK: Webhook = Webhook {
    name: "elevenlabs",
    path: "/elevenlabs/webhook",
    provider: Provider::ElevenLabs,
    label: "ElevenLabs post-call webhook",
    verify: |keys, request| {
        let key = keys.elevenlabs.as_ref()?;
        Some(key.verify(request.header(ELEVENLABS_SIGNATURE_HEADER), request.body, SystemTime::now()))
    },
    event_key,
    call_change: |body| call_change(ElevenLabsWebhook::parse(body)?),
};

fn event_key(body: &[u8]) -> Option<String> {
    match ElevenLabsWebhook::parse(body).ok()? {
        ElevenLabsWebhook::PostCallTranscription { data, .. } => {
            Some(format!("post_call_transcription:{}", data.conversation_id))
        }
        ElevenLabsWebhook::PostCallAudio { data, .. } => Some(format!("post_call_audio:{}", data.conversation_id)),
        ElevenLabsWebhook::CallInitiationFailure { data, .. } => {
            data.conversation_id.map(|id| format!("call_initiation_failure:{id}"))
        }
        ElevenLabsWebhook::Other => None,
    }
}

fn call_change(webhook: ElevenLabsWebhook) -> Result<Option<CallChange>, PayloadError> {
    Ok(match webhook {
        ElevenLabsWebhook::PostCallTranscription { data, .. } => {
            let call_sid = data.metadata.phone_call.as_ref().and_then(|phone| phone.call_sid.clone());
            let ids = std::iter::once(data.conversation_id.clone()).chain(call_sid).collect();
            let reason = data.metadata.termination_reason.clone().unwrap_or_else(|| "the conversation ended".into());
            let state =
                if data.status == ConversationStatus::Failed { CallState::Failed } else { CallState::Completed };
            let report: Option<Box<dyn CarriedReport>> = Some(data);
            Some(CallChange { report, ..CallChange::new(ids, state, Some(reason)) })
        }
        ElevenLabsWebhook::CallInitiationFailure { data, .. } => {
            let failure = data.failure_reason.unwrap_or_else(|| "unknown".into());
            let state = match failure.as_str() {
                "busy" => CallState::Busy,
                "no-answer" | "no_answer" => CallState::NoAnswer,
                _ => CallState::Failed,
            };
            let reason = format!("ElevenLabs could not start the call: {failure}");
            Some(CallChange::new(data.conversation_id.into_iter().collect(), state, Some(reason)))
        }
        ElevenLabsWebhook::PostCallAudio { data, .. } => data.audio()?.map(|audio| {
            let report: Option<Box<dyn CarriedReport>> = Some(Box::new(ConversationAudio(audio)));
            // The state is the report's to say; the audio alone moves the call nowhere.
            CallChange { report, ..CallChange::new(vec![data.conversation_id], CallState::InProgress, None) }
        }),
        ElevenLabsWebhook::Other => None,
    })
}

/// A post-call audio webhook's MP3.
#[derive(Debug)]
struct ConversationAudio(Vec<u8>);

/// The audio alone: the call's recording, nothing else about the call.
impl CarriedReport for ConversationAudio {
    fn finished(&self, _: &ProviderSet, _: String) -> BoxFuture<'_, FinishedCall> {
        let recording = mp3_recording(self.0.clone(), 0);
        Box::pin(async move { FinishedCall { refs: Vec::new(), cost: None, record: None, events: vec![recording] } })
    }
}

/// A post-call transcription: the whole conversation.
impl CarriedReport for Conversation {
    fn finished(&self, clients: &ProviderSet, record: String) -> BoxFuture<'_, FinishedCall> {
        let client = clients.elevenlabs.clone();
        Box::pin(async move { finished_call(client.as_ref(), self, record).await })
    }
}
