//! Twilio's call status and answering-machine verdict, shared by REST answers and callbacks.

use serde::{Deserialize, Serialize};

/// A Twilio call's status (`status` in REST answers, `CallStatus` in callbacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TwilioCallStatus {
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
    /// A status this version does not know.
    #[serde(other)]
    Other,
}

impl TwilioCallStatus {
    /// Whether the call is over: nothing after this changes its outcome.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled)
    }
}

/// Who answered, as answering machine detection judged it (`AnsweredBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredBy {
    Human,
    MachineStart,
    MachineEndBeep,
    MachineEndSilence,
    MachineEndOther,
    Fax,
    /// Detection timed out, or a verdict this version does not know.
    #[serde(other)]
    Unknown,
}

impl AnsweredBy {
    /// An answering machine or voicemail (not a person, not a fax).
    pub fn is_machine(self) -> bool {
        matches!(self, Self::MachineStart | Self::MachineEndBeep | Self::MachineEndSilence | Self::MachineEndOther)
    }
}

#[cfg(test)]
mod tests {
    use super::{AnsweredBy, TwilioCallStatus};

    #[test]
    fn statuses_read_their_wire_names_and_tolerate_new_ones() {
        let read = |text: &str| serde_json::from_str::<TwilioCallStatus>(&format!("\"{text}\"")).unwrap();
        assert_eq!(read("in-progress"), TwilioCallStatus::InProgress);
        assert_eq!(read("no-answer"), TwilioCallStatus::NoAnswer);
        assert_eq!(read("answered-by-robot"), TwilioCallStatus::Other);
        assert!(read("busy").is_terminal() && !read("ringing").is_terminal());
    }

    #[test]
    fn machine_verdicts() {
        let read = |text: &str| serde_json::from_str::<AnsweredBy>(&format!("\"{text}\"")).unwrap();
        assert!(read("machine_end_beep").is_machine());
        assert!(!read("human").is_machine() && !read("fax").is_machine());
        assert_eq!(read("something_new"), AnsweredBy::Unknown);
    }
}
