//! What a speech-gather agent does next, decided from its session alone: after the callee's
//! words (a goodbye or the max duration ends the call, else the model answers), after silence
//! (re-prompt, then a polite end), and after the model's turn (its fields kept, then a transfer,
//! an end, the closing once every field is in, or its words). The listener turns each step into
//! TwiML and call events; text rehearsals play the same steps.

use switchboard_core::CallState;
use switchboard_voice::goodbye::says_goodbye;

use super::agent_turn::AgentTurn;
use super::session::{Session, Turn};

pub(crate) const DID_NOT_HEAR: &str = "Sorry, I didn't catch that.";
const NO_INPUT_GOODBYE: &str = "I haven't been able to hear you, so I'll let you go. Thank you, goodbye.";
pub(crate) const CLOSING: &str = "Thank you for your time. Goodbye.";
const ALL_COLLECTED: &str = "Thank you, that's everything I needed. Goodbye.";
const OUT_OF_TIME: &str = "I'm afraid I have to wrap up the call now. Thank you for your time, goodbye.";
const TRANSFERRING: &str = "Let me transfer you now.";
const APOLOGY: &str =
    "I'm sorry, I'm having technical trouble and have to end the call. We'll try you again later. Goodbye.";

/// How the call ends: the agent's last words, the call's state and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ending {
    pub(crate) text: String,
    pub(crate) state: CallState,
    pub(crate) reason: String,
}

impl Ending {
    /// The agent could not go on (no model, a model failing or too slow): an apology.
    pub(crate) fn failed(reason: impl Into<String>) -> Self {
        Self { text: APOLOGY.to_owned(), state: CallState::Failed, reason: reason.into() }
    }

    fn completed(text: &str, reason: impl Into<String>) -> Self {
        Self { text: text.to_owned(), state: CallState::Completed, reason: reason.into() }
    }
}

/// What the agent does after silence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reprompt {
    /// Say these words (the last question again) and listen.
    Again(String),
    End(Ending),
}

/// The agent's next step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// Say these words and listen.
    Ask(String),
    /// Say the last words and hang up.
    End(Ending),
    /// Say these words and transfer the callee to `number`.
    Transfer { text: String, number: String, reason: String },
}

impl Session {
    /// The callee said `said` (already a turn): a goodbye, or words past the max duration, end
    /// the call; `None` when the model is to answer.
    pub(crate) fn after_words(&self, said: &Turn) -> Option<Ending> {
        if says_goodbye(&said.text) {
            return Some(Ending::completed(CLOSING, "the callee said goodbye"));
        }
        (said.offset_ms / 1000 >= self.max_duration_secs)
            .then(|| Ending::completed(OUT_OF_TIME, "the call reached the agent's max duration"))
    }

    /// A listen that heard nothing: re-prompt (the last question again), or after `prompts`
    /// re-prompts end politely.
    pub(crate) fn after_silence(&mut self, prompts: u32) -> Reprompt {
        self.no_input += 1;
        if self.no_input > prompts {
            let reason =
                format!("the callee said nothing after {prompts} re-prompt{}", if prompts == 1 { "" } else { "s" });
            return Reprompt::End(Ending::completed(NO_INPUT_GOODBYE, reason));
        }
        Reprompt::Again(match self.last_agent_line() {
            Some(last) => format!("{DID_NOT_HEAR} {}", last.trim_start_matches(DID_NOT_HEAR).trim()),
            None => DID_NOT_HEAR.to_owned(),
        })
    }

    /// Applies the model's turn: its fields are kept (and returned, in order), then the step.
    pub(crate) fn act(&mut self, turn: AgentTurn) -> (Vec<(String, String)>, Step) {
        for (key, value) in &turn.fields {
            self.collected.insert(key.clone(), value.clone());
        }
        if let (Some(reason), Some(number)) = (&turn.transfer, self.transfer_to.clone()) {
            let text = if turn.text.is_empty() { TRANSFERRING.to_owned() } else { turn.text.clone() };
            return (turn.fields, Step::Transfer { text, number, reason: reason.clone() });
        }
        if let Some(reason) = &turn.end {
            let text = if turn.text.is_empty() { CLOSING } else { turn.text.as_str() };
            return (turn.fields.clone(), Step::End(Ending::completed(text, reason.clone())));
        }
        // With fields to collect, the call ends once all are in, or once the required ones are
        // and the agent asks nothing more; an agent with none talks until it or the callee ends.
        let asks_more = turn.text.contains('?');
        let collected = self.still_to_collect().next().is_none() || (self.required_collected() && !asks_more);
        if !self.fields.is_empty() && collected {
            let text = if turn.text.is_empty() || asks_more { ALL_COLLECTED } else { turn.text.as_str() };
            return (turn.fields.clone(), Step::End(Ending::completed(text, "every field to collect was collected")));
        }
        let text = if turn.text.is_empty() { DID_NOT_HEAR.to_owned() } else { turn.text };
        (turn.fields, Step::Ask(text))
    }
}
