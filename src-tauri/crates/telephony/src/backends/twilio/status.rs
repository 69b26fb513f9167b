//! What a Twilio call status means for a call the dialer placed, whether a status callback
//! brings it or the reconciler fetches it: the state it moves the call to and why, and when a
//! pipeline call's own session ends the call instead.

use switchboard_core::{BackendKind, CallState, CallSummary};
use switchboard_providers::twilio::TwilioCallStatus;

use switchboard_voice::PipelineSessions;

/// The state `status` moves a call to, with why when it ends the call (naming the SIP response
/// code Twilio gave a failure, when it gave one); `None` for a status this version does not know.
pub(crate) fn status_change(
    status: TwilioCallStatus,
    sip_response_code: Option<u16>,
) -> Option<(CallState, Option<String>)> {
    let ended = |state, reason: &str| Some((state, Some(reason.to_owned())));
    match status {
        TwilioCallStatus::Queued | TwilioCallStatus::Initiated => Some((CallState::Dialing, None)),
        TwilioCallStatus::Ringing => Some((CallState::Ringing, None)),
        TwilioCallStatus::InProgress => Some((CallState::InProgress, None)),
        TwilioCallStatus::Completed => ended(CallState::Completed, "the call ended (Twilio: completed)"),
        TwilioCallStatus::Busy => ended(CallState::Busy, "the line was busy"),
        TwilioCallStatus::NoAnswer => ended(CallState::NoAnswer, "nobody answered"),
        TwilioCallStatus::Canceled => ended(CallState::Canceled, "the call was canceled"),
        TwilioCallStatus::Failed => {
            let sip = sip_response_code.map(|code| format!(" (SIP {code})")).unwrap_or_default();
            Some((CallState::Failed, Some(format!("Twilio could not connect the call{sip}"))))
        }
        TwilioCallStatus::Other => None,
    }
}

/// Whether Twilio ending `call` as `state` is left to the call's pipeline session: a session
/// that has its media stream ends the call itself, with why, when the stream closes, so
/// `completed` only ends a pipeline call that never got its stream (taken back from `sessions`
/// here).
pub(crate) fn session_ends_call(sessions: &PipelineSessions, call: &CallSummary, state: CallState) -> bool {
    call.backend == BackendKind::Pipeline && state == CallState::Completed && !sessions.cancel(call.id)
}
