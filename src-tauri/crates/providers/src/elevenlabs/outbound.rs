//! Placing a call through ElevenLabs' Twilio integration (`/v1/convai/twilio/outbound-call`),
//! or registering one the engine places itself (`/v1/convai/twilio/register-call`).

use serde::{Deserialize, Serialize};

use super::ClientData;

/// An outbound call for ElevenLabs to place from an imported Twilio number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundCall {
    pub agent_id: String,
    pub agent_phone_number_id: String,
    /// E.164
    pub to_number: String,
    #[serde(rename = "conversation_initiation_client_data")]
    pub client_data: ClientData,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_recording_enabled: Option<bool>,
    #[serde(rename = "telephony_call_config", skip_serializing_if = "Option::is_none", serialize_with = "ringing")]
    pub ringing_timeout_secs: Option<u32>,
}

fn ringing<S: serde::Serializer>(secs: &Option<u32>, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct TelephonyCallConfig {
        ringing_timeout_secs: Option<u32>,
    }
    TelephonyCallConfig { ringing_timeout_secs: *secs }.serialize(serializer)
}

/// ElevenLabs' answer to an outbound call request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct OutboundCallAnswer {
    /// Read as true when absent: the conversation id decides.
    pub(super) success: Option<bool>,
    pub(super) message: Option<String>,
    /// `null` when the call did not start; then no webhook will come.
    pub(super) conversation_id: Option<String>,
    #[serde(rename = "callSid", alias = "call_sid")]
    pub(super) call_sid: Option<String>,
}

/// A call ElevenLabs started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundCallStarted {
    pub conversation_id: String,
    /// The Twilio call (`CA…`), for forking its audio or hanging it up.
    pub call_sid: Option<String>,
}

/// A call the engine places on Twilio itself, registered so ElevenLabs answers it with its agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisterCall {
    pub agent_id: String,
    pub from_number: String,
    pub to_number: String,
    /// `outbound` for calls we place.
    pub direction: String,
    #[serde(rename = "conversation_initiation_client_data")]
    pub client_data: ClientData,
}
