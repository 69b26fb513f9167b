//! The calls whose media stream is expected: a backend files each call with a fresh token
//! before Twilio dials, the token travels as a `<Parameter>` of the `<Stream>`, and the media
//! route hands the stream to the call only when the `start` message names the call with its
//! token. A wrong or missing token claims nothing and leaves the call waiting for its stream.
//!
//! The backend's TwiML: `<Connect><Stream url="wss://<public>/twilio/media"><Parameter
//! name="callId" value="<call id>"/><Parameter name="token" value="<token>"/></Stream></Connect>`;
//! a call that ends without its stream (busy, no answer) is taken back with
//! [`PipelineSessions::cancel`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use switchboard_core::CallId;

use super::PipelineCall;

/// The `<Parameter>` naming the call (Switchboard's call id).
pub const CALL_ID_PARAMETER: &str = "callId";
/// The `<Parameter>` carrying the call's token.
pub const TOKEN_PARAMETER: &str = "token";

/// Shared by the backend (which files calls) and the listener's media route (which claims them).
#[derive(Clone, Default)]
pub struct PipelineSessions {
    expected: Arc<Mutex<HashMap<CallId, Expected>>>,
}

struct Expected {
    token: String,
    call: PipelineCall,
}

/// Why a media stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("the start message has no {CALL_ID_PARAMETER} parameter")]
    NoCallId,
    #[error("no pipeline call {0} is waiting for its media stream")]
    UnknownCall(String),
    #[error("the token for call {0} is missing or wrong")]
    WrongToken(CallId),
}

impl PipelineSessions {
    /// Files `call` as expecting its media stream; returns the token to send as the stream's
    /// [`TOKEN_PARAMETER`] (32 random bytes, hex). Filing a call again replaces its token.
    pub fn expect(&self, call: PipelineCall) -> Result<String, getrandom::Error> {
        let token = new_token()?;
        self.lock().insert(call.call_id, Expected { token: token.clone(), call });
        Ok(token)
    }

    /// Forgets a call whose stream will not come (it was never answered); true when it was filed.
    pub fn cancel(&self, call_id: CallId) -> bool {
        self.lock().remove(&call_id).is_some()
    }

    /// How many calls are waiting for their stream.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Hands over the call named by a `start` message's parameters when its token matches.
    pub(crate) fn claim(&self, call_id: Option<&str>, token: Option<&str>) -> Result<PipelineCall, Refusal> {
        let call_id = call_id.ok_or(Refusal::NoCallId)?;
        let id = call_id.trim().parse().map(CallId).map_err(|_| Refusal::UnknownCall(call_id.to_owned()))?;
        let mut expected = self.lock();
        let waiting = expected.get(&id).ok_or_else(|| Refusal::UnknownCall(call_id.to_owned()))?;
        if !token.is_some_and(|token| same_text(token, &waiting.token)) {
            return Err(Refusal::WrongToken(id));
        }
        Ok(expected.remove(&id).expect("just found").call)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, Expected>> {
        self.expected.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fresh stream token: 32 random bytes, hex.
pub(crate) fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Compares in time that depends only on the lengths, not on where the texts differ.
pub(crate) fn same_text(presented: &str, expected: &str) -> bool {
    presented.len() == expected.len()
        && presented.bytes().zip(expected.bytes()).fold(0_u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_text;

    #[test]
    fn texts_match_only_when_equal() {
        assert!(same_text("abc", "abc"));
        assert!(!same_text("abd", "abc"));
        assert!(!same_text("ab", "abc"));
        assert!(!same_text("", "abc"));
    }
}
