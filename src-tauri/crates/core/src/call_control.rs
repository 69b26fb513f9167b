//! What the dispatcher can do to a call on the line (end it, take it over, steer the agent, have
//! it say a line), and the record each such action leaves on the call.

use serde::{Deserialize, Serialize};

use crate::{CallId, UnixMillis};

/// One kind of action on a live call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ControlAction {
    /// Hang up: the call ends "ended by the dispatcher".
    End,
    /// Connect the callee to the dispatcher's own phone; the agent leaves the call.
    TakeOver,
    /// A note the agent follows from its next turn.
    Steer,
    /// A line the agent says next.
    Say,
}

impl ControlAction {
    pub const ALL: [Self; 4] = [Self::End, Self::TakeOver, Self::Steer, Self::Say];

    /// The stable text form stored in SQLite and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::End => "end",
            Self::TakeOver => "take-over",
            Self::Steer => "steer",
            Self::Say => "say",
        }
    }

    /// Parses [`ControlAction::as_str`]'s form.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }

    /// Whether the action carries text typed by the dispatcher (the note, the line).
    pub fn takes_text(self) -> bool {
        matches!(self, Self::Steer | Self::Say)
    }

    /// How the action reads in the call's transcript, after "dispatcher: ".
    pub fn describe(self, text: &str) -> String {
        match self {
            Self::End => "ended the call".to_owned(),
            Self::TakeOver => format!("took the call over on {text}"),
            Self::Steer => format!("note to the agent: {text}"),
            Self::Say => format!("had the agent say: {text}"),
        }
    }
}

/// Whether an action is possible on a call now, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ControlOffer {
    pub action: ControlAction,
    /// `None` when the dispatcher can take the action; else why not, in words.
    pub unavailable: Option<String>,
}

/// Where a dispatcher's action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Asked for from another process (the command line), not taken up yet.
    Pending,
    /// Being carried out.
    Running,
    Done,
    /// The backend or provider refused; `result` says why, in its words.
    Refused,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Done, Self::Refused].into_iter().find(|status| status.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Refused)
    }
}

/// One action the dispatcher took on a call, kept with the call (its timeline and History).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallAction {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub call_id: CallId,
    pub action: ControlAction,
    /// The note, the line, or the number the call was handed to; empty for an end.
    pub text: String,
    pub status: ActionStatus,
    /// Why it was refused (the provider's words), when it was.
    pub result: Option<String>,
    pub requested_at: UnixMillis,
    pub done_at: Option<UnixMillis>,
}

impl CallAction {
    /// The action as its transcript line reads: "dispatcher: note to the agent: …", with the
    /// refusal when there was one.
    pub fn transcript_text(&self) -> String {
        let said = self.action.describe(&self.text);
        match (&self.status, &self.result) {
            (ActionStatus::Refused, Some(why)) => format!("dispatcher: {said} (refused: {why})"),
            _ => format!("dispatcher: {said}"),
        }
    }
}

/// Why a typed note or line is refused, when it is.
pub fn check_control_text(action: ControlAction, text: &str) -> Result<(), String> {
    const MAX_CHARS: usize = 1000;
    if !action.takes_text() {
        return Ok(());
    }
    let what = if action == ControlAction::Steer { "note" } else { "line" };
    if text.trim().is_empty() {
        return Err(format!(
            "the {what} is empty: type what the agent should {}",
            if what == "note" { "follow" } else { "say" }
        ));
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(format!("the {what} is {chars} characters long; at most {MAX_CHARS} are sent"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ActionStatus, CallAction, ControlAction, check_control_text};
    use crate::{CallId, UnixMillis};

    #[test]
    fn actions_read_back_from_their_text_form() {
        for action in ControlAction::ALL {
            assert_eq!(ControlAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(ControlAction::parse("hang-up"), None);
    }

    #[test]
    fn a_refused_action_says_so_in_the_transcript() {
        let mut action = CallAction {
            id: 1,
            call_id: CallId(2),
            action: ControlAction::Steer,
            text: "ask about freight".into(),
            status: ActionStatus::Done,
            result: None,
            requested_at: UnixMillis(0),
            done_at: None,
        };
        assert_eq!(action.transcript_text(), "dispatcher: note to the agent: ask about freight");
        action.status = ActionStatus::Refused;
        action.result = Some("Vapi: 400 call not live".into());
        assert_eq!(
            action.transcript_text(),
            "dispatcher: note to the agent: ask about freight (refused: Vapi: 400 call not live)"
        );
    }

    #[test]
    fn an_empty_or_overlong_text_is_refused_and_an_end_needs_none() {
        assert!(check_control_text(ControlAction::End, "").is_ok());
        assert!(check_control_text(ControlAction::Say, "  ").unwrap_err().contains("line is empty"));
        assert!(check_control_text(ControlAction::Steer, &"x".repeat(1001)).unwrap_err().contains("1001 characters"));
        assert!(check_control_text(ControlAction::Say, "Hold on one moment.").is_ok());
    }
}
