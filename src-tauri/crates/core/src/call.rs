//! The call lifecycle: states that only move forward, and the summary the console lists.

use serde::{Deserialize, Serialize};

use crate::{AgentId, BackendKind, CallId, ContactId, UnixMillis};

/// Where a call is. Live states come in order (queued → dialing → ringing → in-progress);
/// every call ends in exactly one terminal state, with a reason stored beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum CallState {
    Queued,
    Dialing,
    Ringing,
    InProgress,
    /// The conversation happened and ended normally.
    Completed,
    Busy,
    NoAnswer,
    /// The carrier or provider could not place or keep the call.
    Failed,
    /// An answering machine picked up (the agent's voicemail policy was applied).
    Voicemail,
    /// The dispatcher (or the app closing) stopped the call.
    Canceled,
    /// No final event arrived in time; the engine closed the call itself.
    Lost,
}

/// The outcome of asking a call to move to a new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The state moves forward: record and publish it.
    Advance,
    /// Late, duplicate or backward event: ignore it.
    Ignore,
}

impl CallState {
    /// Every state, in lifecycle order (terminal states last).
    pub const ALL: [CallState; 11] = [
        Self::Queued,
        Self::Dialing,
        Self::Ringing,
        Self::InProgress,
        Self::Completed,
        Self::Busy,
        Self::NoAnswer,
        Self::Failed,
        Self::Voicemail,
        Self::Canceled,
        Self::Lost,
    ];

    /// The stable text form stored in SQLite and sent to the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
            Self::Voicemail => "voicemail",
            Self::Canceled => "canceled",
            Self::Lost => "lost",
        }
    }

    /// Parses the text form written by [`CallState::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// True once the call is over; a terminal state never changes again.
    pub fn is_terminal(self) -> bool {
        self.rank() == 4
    }

    fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Dialing => 1,
            Self::Ringing => 2,
            Self::InProgress => 3,
            _ => 4,
        }
    }

    /// Decides whether moving from `self` to `next` is a step forward. Providers deliver events
    /// late, twice and out of order; only forward steps count, and a terminal state is final.
    pub fn transition_to(self, next: CallState) -> Transition {
        if self.is_terminal() || next.rank() <= self.rank() { Transition::Ignore } else { Transition::Advance }
    }
}

/// One call as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallSummary {
    pub id: CallId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub agent_id: AgentId,
    pub agent_name: String,
    pub backend: BackendKind,
    /// The number dialled, in E.164.
    pub phone: String,
    pub state: CallState,
    /// Why the call ended, in words; set with the terminal state.
    pub end_reason: Option<String>,
    pub created_at: UnixMillis,
    pub answered_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    /// The campaign, round and attempt the call belongs to (`null` for single calls).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub campaign_id: Option<i64>,
    pub round: Option<u8>,
    pub attempt: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_states_only_move_forward() {
        use CallState::*;
        assert_eq!(Queued.transition_to(Dialing), Transition::Advance);
        assert_eq!(Queued.transition_to(InProgress), Transition::Advance);
        assert_eq!(Ringing.transition_to(Dialing), Transition::Ignore);
        assert_eq!(InProgress.transition_to(Ringing), Transition::Ignore);
        assert_eq!(Ringing.transition_to(Ringing), Transition::Ignore);
        assert_eq!(InProgress.transition_to(Completed), Transition::Advance);
    }

    #[test]
    fn terminal_states_are_final() {
        for terminal in CallState::ALL.into_iter().filter(|s| s.is_terminal()) {
            for next in CallState::ALL {
                assert_eq!(terminal.transition_to(next), Transition::Ignore, "{terminal:?} -> {next:?}");
            }
        }
    }

    #[test]
    fn text_form_round_trips() {
        for state in CallState::ALL {
            assert_eq!(CallState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CallState::parse("ringing "), None);
    }
}
