//! What one pipeline call runs with: the agent's rendered texts and limits, the provider
//! clients, the channel its progress is reported on, and the channel that asks the backend to
//! hang up, transfer or leave the voicemail message (the backend places and redirects the
//! Twilio call; the session only talks).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallId, DataField, PipelineSettings, render};
use switchboard_providers::anthropic::AnthropicClient;
use switchboard_providers::deepgram::DeepgramClient;
use switchboard_providers::elevenlabs_tts::ElevenLabsTtsClient;
use tokio::sync::mpsc;

use switchboard_engine::{BackendEvent, CallRequest};

use crate::usage::UsageMeter;

/// The streaming clients a call talks through.
#[derive(Debug, Clone)]
pub struct PipelineClients {
    pub deepgram: DeepgramClient,
    pub anthropic: AnthropicClient,
    pub tts: ElevenLabsTtsClient,
}

/// What the session asks of the backend that placed the call, once the conversation is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallControl {
    /// Hang up (the media stream is closed as well).
    HangUp,
    /// Redirect the call to `<Dial>` this number (E.164), leaving the agent.
    Transfer { to: String },
    /// An answering machine answered: redirect the call to `<Say>` this message, then hang up.
    LeaveVoicemail { message: String },
}

impl CallControl {
    /// The call leaves the media stream for other TwiML (Twilio then ends the stream).
    pub(crate) fn redirects(&self) -> bool {
        !matches!(self, Self::HangUp)
    }
}

/// One call as the session runs it.
#[derive(Debug, Clone)]
pub struct PipelineCall {
    pub call_id: CallId,
    /// The agent's system prompt, rendered (contact, context, past calls).
    pub system_prompt: String,
    /// Said as soon as the stream starts.
    pub first_message: String,
    /// What `record_field` may record; the required ones end the call once all are in.
    pub data_fields: Vec<DataField>,
    /// Where `transfer_call` sends the callee; without it the tool is not offered.
    pub transfer_to: Option<String>,
    /// Silence after which the agent re-prompts once, then ends the call.
    pub silence_timeout: Duration,
    /// The agent wraps up and hangs up at this age of the call.
    pub max_duration: Duration,
    /// The message to leave when an answering machine answers (`None`: hang up on it).
    pub voicemail: Option<String>,
    /// Where the recording is written while the call lasts (see [`CallRequest::recording_dir`]).
    pub recording_dir: Option<PathBuf>,
    pub settings: PipelineSettings,
    pub clients: PipelineClients,
    /// The call's events, to its call task.
    pub events: mpsc::Sender<BackendEvent>,
    /// Hang-up and transfer requests, to the backend.
    pub control: mpsc::Sender<CallControl>,
    /// What the call used that it is billed for, counted by its tasks (the greeting's too).
    pub(crate) usage: Arc<UsageMeter>,
}

impl PipelineCall {
    /// The call a backend placed for `request`.
    pub fn new(
        request: &CallRequest,
        clients: PipelineClients,
        events: mpsc::Sender<BackendEvent>,
        control: mpsc::Sender<CallControl>,
    ) -> Self {
        let config = &request.agent.config;
        let transfer_to = render(&config.transfer_to, &request.variables)
            .ok()
            .map(|number| number.trim().to_owned())
            .filter(|number| !number.is_empty());
        Self {
            call_id: request.call_id,
            system_prompt: request.system_prompt.clone(),
            first_message: request.first_message.clone(),
            data_fields: config.data_fields.clone(),
            transfer_to,
            silence_timeout: Duration::from_secs(u64::from(config.silence_timeout_secs.max(1))),
            max_duration: Duration::from_secs(u64::from(config.max_duration_secs.max(1))),
            voicemail: request.voicemail.clone(),
            recording_dir: request.recording_dir.clone(),
            settings: config.backend_settings.pipeline.clone(),
            clients,
            events,
            control,
            usage: Arc::default(),
        }
    }
}
