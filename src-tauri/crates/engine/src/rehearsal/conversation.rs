//! A rehearsed conversation turn by turn, for the modes that play it here (simulator, text): the
//! agent's side and the callee's side each answer the other, the engine keeps the transcript,
//! the fields, the do-not-call mark and how it ended. A machine that answers gets the agent's
//! voicemail policy, as on a real call.

use std::collections::BTreeMap;
use std::sync::Arc;

use switchboard_core::{RehearsalEnding, Rehearsed, Scenario, Speaker, TranscriptLine, asks_not_to_be_called};

use super::{RehearsalCall, RehearsalError};
use crate::{BoxFuture, MACHINE_HUNG_UP_ON, VOICEMAIL_LEFT};

/// Lines after which a rehearsal is cut off, whatever its scenario allows.
pub const TURN_LIMIT: usize = 40;

/// What the agent said and did in one turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentReply {
    pub text: String,
    /// Values it recorded, by field key.
    pub fields: Vec<(String, String)>,
    /// It ended the call, for this reason.
    pub end: Option<String>,
    /// It transferred the callee, for this reason.
    pub transfer: Option<String>,
}

/// The agent being rehearsed.
pub trait AgentSide: Send {
    /// The agent's turn after the callee said `heard`: `None` when the call was just answered,
    /// `Some("")` after silence.
    fn turn<'a>(&'a mut self, heard: Option<&'a str>) -> BoxFuture<'a, Result<AgentReply, RehearsalError>>;
}

/// What the callee does after the agent's turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalleeReply {
    Says(String),
    Silent,
    /// Hangs up, after these words (may be empty).
    HangsUp(String),
}

/// The scenario's callee.
pub trait CalleeSide: Send {
    /// The greeting of the answering machine that picks up, when one does.
    fn machine_greeting(&self) -> Option<String>;

    /// The callee's answer to the agent's `said`.
    fn reply<'a>(&'a mut self, said: &'a str) -> BoxFuture<'a, Result<CalleeReply, RehearsalError>>;
}

/// Makes the callee of a scenario, for a call.
pub type CalleeFactory = Arc<dyn Fn(&Scenario, &RehearsalCall) -> Box<dyn CalleeSide> + Send + Sync>;

/// Plays the conversation between `agent` and `callee` on `call` until one ends it, or
/// [`TURN_LIMIT`] lines.
pub async fn converse(call: &RehearsalCall, agent: &mut dyn AgentSide, callee: &mut dyn CalleeSide) -> Rehearsed {
    let mut rehearsed = Rehearsed {
        transcript: Vec::new(),
        fields: BTreeMap::new(),
        ending: RehearsalEnding::TurnLimit,
        do_not_call: false,
        provider_verdict: None,
    };
    let say = |rehearsed: &mut Rehearsed, speaker, text: &str| {
        if !text.trim().is_empty() {
            let seq = rehearsed.transcript.len() as u32;
            rehearsed.transcript.push(TranscriptLine { seq, speaker, text: text.trim().to_owned(), offset_ms: 0 });
        }
    };
    if let Some(greeting) = callee.machine_greeting() {
        say(&mut rehearsed, Speaker::Callee, &greeting);
        let reason = match &call.voicemail {
            Some(message) => {
                say(&mut rehearsed, Speaker::Agent, message);
                VOICEMAIL_LEFT
            }
            None => MACHINE_HUNG_UP_ON,
        };
        rehearsed.ending = RehearsalEnding::Agent { reason: reason.to_owned() };
        return rehearsed;
    }
    let mut heard: Option<String> = None;
    while rehearsed.transcript.len() < TURN_LIMIT {
        let reply = match agent.turn(heard.as_deref()).await {
            Ok(reply) => reply,
            Err(error) => {
                rehearsed.ending = RehearsalEnding::Failed { reason: error.to_string() };
                break;
            }
        };
        rehearsed.fields.extend(reply.fields);
        say(&mut rehearsed, Speaker::Agent, &reply.text);
        if let Some(reason) = reply.transfer {
            rehearsed.ending = RehearsalEnding::Transferred { reason };
            break;
        }
        if let Some(reason) = reply.end {
            rehearsed.ending = RehearsalEnding::Agent { reason };
            break;
        }
        match callee.reply(&reply.text).await {
            Ok(CalleeReply::Says(text)) => {
                say(&mut rehearsed, Speaker::Callee, &text);
                // As on a real call: the contact is marked the moment they ask.
                rehearsed.do_not_call |= asks_not_to_be_called(&text);
                heard = Some(text);
            }
            Ok(CalleeReply::Silent) => heard = Some(String::new()),
            Ok(CalleeReply::HangsUp(text)) => {
                say(&mut rehearsed, Speaker::Callee, &text);
                rehearsed.do_not_call |= asks_not_to_be_called(&text);
                rehearsed.ending = RehearsalEnding::Callee;
                break;
            }
            Err(error) => {
                rehearsed.ending = RehearsalEnding::Failed { reason: format!("the callee failed: {error}") };
                break;
            }
        }
    }
    rehearsed
}
