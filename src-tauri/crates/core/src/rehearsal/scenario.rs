//! What a suite holds: per scenario, the callee (who they are, what they know, how they behave)
//! and the expectations the agent must meet with them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ContactFields, Variables};

/// An agent's rehearsal suite: the contact its scenarios call (with the variables a campaign
/// would supply) and the scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Suite {
    /// The agent the suite rehearses, by name (a preset's name for a shipped suite).
    pub agent: String,
    /// Who is called, as a contact is imported (the callee's name and details fill the agent's
    /// variables as on a real call).
    pub contact: ContactFields,
    /// Variables a campaign would supply (the quote request, the negotiation targets).
    #[serde(default)]
    pub variables: Variables,
    pub scenarios: Vec<Scenario>,
}

/// One simulated callee and what the agent must achieve with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// Unique in its suite.
    pub name: String,
    pub callee: Callee,
    /// Variables for this scenario only, over the suite's.
    #[serde(default)]
    pub variables: Variables,
    pub expect: Expectations,
}

/// The simulated callee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Callee {
    /// Who answers, in a few words ("Dana at the sales desk").
    pub who: String,
    /// What they know, by the agent's field keys or in words ("unit_price": "$4.10", "dispute":
    /// "the truck ahead cut me off"). A haggler's `floor_price` is what it concedes to.
    #[serde(default)]
    pub knows: BTreeMap<String, String>,
    pub behaviour: Behaviour,
}

/// How the callee behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// Answers what is asked.
    Cooperative,
    /// Quotes high and concedes (to `floor_price`) only when pressed on price.
    Haggler,
    /// Deflects the first time each thing is asked, answers when asked again.
    Evasive,
    /// Is not who the agent asked for.
    WrongPerson,
    /// Asks to be called back later.
    CallBack,
    /// Is rude and wants the call over.
    Hostile,
    /// Says nothing.
    Silent,
    /// Starts answering before the agent has finished.
    TalksOver,
    /// An answering machine's greeting.
    Voicemail,
    /// A phone menu that wants a digit (`knows.digit`) before a person answers.
    Ivr,
    /// Asks to speak with a person.
    AsksForPerson,
    /// Says "take me off your list".
    OptsOut,
}

impl Behaviour {
    /// Every behaviour.
    pub const ALL: [Behaviour; 12] = [
        Self::Cooperative,
        Self::Haggler,
        Self::Evasive,
        Self::WrongPerson,
        Self::CallBack,
        Self::Hostile,
        Self::Silent,
        Self::TalksOver,
        Self::Voicemail,
        Self::Ivr,
        Self::AsksForPerson,
        Self::OptsOut,
    ];

    /// Parses the text form written by [`Behaviour::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|behaviour| behaviour.as_str() == text)
    }

    /// How a callee with this behaviour acts, in words (a model playing the callee reads it).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Cooperative => "you answer what you are asked, briefly and truthfully",
            Self::Haggler => {
                "you hold your price until the caller presses a second time, then concede to your floor price"
            }
            Self::Evasive => "you dodge each question the first time with a question back, and answer when asked again",
            Self::WrongPerson => "you are not the person the caller wants; say so",
            Self::CallBack => "you cannot talk now and ask to be called back later",
            Self::Hostile => "you are rude and want the call over",
            Self::Silent => "you say nothing",
            Self::TalksOver => "you start answering before the caller has finished",
            Self::Voicemail => "you are an answering machine",
            Self::Ivr => "you are a phone menu that wants a digit before a person answers",
            Self::AsksForPerson => "you want to talk to a person, not an AI agent, and ask to be put through",
            Self::OptsOut => "you want to be taken off the caller's list and never called again",
        }
    }

    /// The text form the suite file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cooperative => "cooperative",
            Self::Haggler => "haggler",
            Self::Evasive => "evasive",
            Self::WrongPerson => "wrong-person",
            Self::CallBack => "call-back",
            Self::Hostile => "hostile",
            Self::Silent => "silent",
            Self::TalksOver => "talks-over",
            Self::Voicemail => "voicemail",
            Self::Ivr => "ivr",
            Self::AsksForPerson => "asks-for-person",
            Self::OptsOut => "opts-out",
        }
    }
}

/// What the agent must achieve with the callee. Every expectation left out is not checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expectations {
    /// Values the agent must have collected, by field key.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldExpectation>,
    /// Fields the agent must not have collected (nothing to collect from a wrong person).
    #[serde(default)]
    pub no_fields: bool,
    /// Phrases the agent must say (case-insensitive), e.g. the callback number.
    #[serde(default)]
    pub must_say: Vec<String>,
    /// Phrases the agent must never say, e.g. the other vendors' names.
    #[serde(default)]
    pub must_not_say: Vec<String>,
    /// The most turns (utterances, both sides) the call may take.
    #[serde(default)]
    pub max_turns: Option<u32>,
    /// The agent ends the call itself, with a polite goodbye.
    #[serde(default)]
    pub ends_politely: bool,
    /// The agent transfers the callee (who asked for a person).
    #[serde(default)]
    pub transfers: bool,
    /// The negotiation goal: every price the agent asks for is at or under this, and it asks.
    #[serde(default)]
    pub price_at_most: Option<f64>,
    /// "Take me off your list" ends the call at the agent's next turn, with no more questions,
    /// and marks the contact do-not-call.
    #[serde(default)]
    pub respects_do_not_call: bool,
    /// Free-text expectations for the model judge ("apologises for the mix-up").
    #[serde(default)]
    pub judged: Vec<String>,
}

/// What a collected value must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum FieldExpectation {
    /// Any value.
    Collected,
    /// This value, compared without case, spaces or a leading "$".
    Equals(String),
    /// A number in this range (inclusive), read from the value's first figure.
    Range { min: f64, max: f64 },
}
