//! The model playing an agent in text rehearsals, as a responder for the fake Anthropic
//! ([`super::anthropic`]): it reads the speech-gather prompt (the fields still to collect, a
//! negotiation's target) and the callee's last words, and answers as a competent agent would —
//! records what the callee gave, asks for the next field in the simulator's words, presses once
//! for the target price, transfers when asked for a person, ends politely when the callee cannot
//! or will not talk or asks not to be called. Like a model, it follows its prompt: a prompt that
//! says "Mention that …" has it say that sentence, and "Never end the call before …" has it
//! ignore every request to stop (so a rehearsal can catch both). Asked to judge a rehearsed
//! call, it checks each expectation's quoted phrase against the agent's lines; asked to play a
//! scenario's callee from its brief, it plays the simulator's scripted callee of that brief.

use serde_json::{Value, json};
use std::collections::BTreeMap;

use switchboard_core::{Behaviour, Callee, DataField, FieldType, asks_not_to_be_called};
use switchboard_engine::rehearsal::CalleeReply;
use switchboard_sim::conversation::{NO_ANSWER, field_question};
use switchboard_sim::rehearsal::ScriptedCallee;
use switchboard_sim::rehearsal::cues::{CALL_BACK, HOSTILE, WANTS_A_PERSON, WRONG_PERSON, menu_digit, says_any};

use super::anthropic::{Reply, Responder, last_user_text};

/// A prompt line that makes the agent ignore every request to stop.
const OBSTINATE: &str = "Never end the call before";
/// A prompt sentence the agent says as it is, from this word on.
const MENTION: &str = "Mention that ";

/// How a callee's brief starts.
const PLAYING_THE_CALLEE: &str = "You are playing the callee";
/// How the model judge's instructions start.
const JUDGING: &str = "You judge a rehearsed phone call";

/// The fake's responder playing a rehearsed agent (and the model judge).
pub fn responder() -> Responder {
    Box::new(respond)
}

fn respond(request: &Value) -> Reply {
    let system = request["system"].as_str().unwrap_or_default();
    if system.starts_with(JUDGING) {
        return judge(&last_user_text(request));
    }
    if system.starts_with(PLAYING_THE_CALLEE) {
        return play_callee(system, request);
    }
    let said = last_user_text(request);
    let spoken = agent_texts(request);
    let still = still_to_collect(system);
    let offers_transfer =
        request["tools"].as_array().is_some_and(|tools| tools.iter().any(|tool| tool["name"] == "transfer_call"));
    let ending = |text: &str, reason: &str| Reply::text(text).and_tool("end_call", json!({"reason": reason}));
    if !system.contains(OBSTINATE) {
        if asks_not_to_be_called(&said) {
            return ending("I'm sorry for the trouble. We won't call you again. Goodbye.", "asked not to be called");
        }
        if says_any(&said, &WANTS_A_PERSON) {
            return match offers_transfer {
                true => Reply::text("Of course, I'll transfer you now.")
                    .and_tool("transfer_call", json!({"reason": "the callee asked for a person"})),
                false => ending("Someone will call you back. Thank you, goodbye.", "asked for a person"),
            };
        }
        if says_any(&said, &WRONG_PERSON) {
            return ending("Sorry for the mix-up. Thank you, goodbye.", "wrong person");
        }
        if says_any(&said, &CALL_BACK) {
            return ending("Of course, we'll call back later. Thank you, goodbye.", "asked to be called back");
        }
        if says_any(&said, &HOSTILE) {
            return ending("I understand. Sorry to have bothered you. Goodbye.", "the callee wanted the call over");
        }
    }
    if let Some(digit) = menu_digit(&said) {
        return Reply::text(&format!("(presses {digit})"));
    }
    let last_asked = spoken.last().and_then(|last| still.iter().find(|field| field_question(field) == *last));
    let mut recorded: Vec<(String, String)> = Vec::new();
    if let Some(field) = last_asked {
        if said.contains('?') && spoken.iter().filter(|text| **text == field_question(field)).count() < 2 {
            return Reply::text(&field_question(field));
        }
        if !said.contains('?') && !said.contains(NO_ANSWER) {
            recorded.push((field.key.clone(), value_of(&said)));
        }
    }
    // A price is recorded when first quoted, and again when the callee answers a press on it.
    let pressed = spoken.iter().any(|text| text.contains("Could you do"));
    let answers_press = spoken.last().is_some_and(|last| last.contains("Could you do"));
    if said.contains('$') && (still.iter().any(|field| field.key == "unit_price") || answers_press) {
        recorded.retain(|(key, _)| key != "unit_price");
        recorded.push(("unit_price".into(), value_of(&said)));
    }
    let mut text = mention(system)
        .filter(|sentence| !spoken.iter().any(|text| text.contains(sentence)))
        .map_or_else(String::new, |sentence| format!("{sentence} "));
    match target_price(system).filter(|_| said.contains('$') && !pressed) {
        Some(target) => text.push_str(&format!("Thank you. Could you do {target} per unit?")),
        None => match still.iter().find(|field| !recorded.iter().any(|(key, _)| *key == field.key)) {
            Some(field) => text.push_str(&field_question(field)),
            None => text.push_str("Thank you, that's everything I needed. Goodbye."),
        },
    }
    let mut reply = Reply::text(&text);
    for (key, value) in recorded {
        reply = reply.and_tool("record_field", json!({"field": key, "value": value}));
    }
    reply
}

/// The agent's words so far, turn by turn.
fn agent_texts(request: &Value) -> Vec<String> {
    let messages = request["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
    messages
        .iter()
        .filter(|message| message["role"] == "assistant")
        .flat_map(|message| message["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|block| block["text"].as_str().map(str::to_owned))
        .collect()
}

/// The fields the prompt lists as still to collect ("- key: description (required)").
fn still_to_collect(system: &str) -> Vec<DataField> {
    let Some((_, list)) = system.split_once("Still to collect, in this order:\n") else { return Vec::new() };
    list.lines()
        .map_while(|line| line.strip_prefix("- "))
        .filter_map(|line| {
            let (key, rest) = line.split_once(": ")?;
            let (description, need) = rest.rsplit_once(" (")?;
            Some(DataField {
                key: key.to_owned(),
                field_type: FieldType::Text,
                description: description.to_owned(),
                required: need.starts_with("required"),
            })
        })
        .collect()
}

/// The negotiation's target price ("our target is $4.20").
fn target_price(system: &str) -> Option<String> {
    let (_, after) = system.split_once("target is ")?;
    let price = after.split_whitespace().next()?.trim_end_matches([',', '.']);
    price.starts_with('$').then(|| price.to_owned())
}

/// The sentence the prompt tells the agent to mention, if any.
fn mention(system: &str) -> Option<String> {
    let (_, after) = system.split_once(MENTION)?;
    let sentence = after.split_inclusive('.').next()?.trim();
    let mut chars = sentence.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect())
}

fn value_of(said: &str) -> String {
    said.trim().trim_end_matches('.').to_owned()
}

/// A verdict on each numbered expectation of the brief: met when the agent said the phrase the
/// expectation quotes.
fn judge(brief: &str) -> Reply {
    let (expectations, transcript) = brief.split_once("\nTranscript:\n").unwrap_or((brief, ""));
    let agent: Vec<&str> = transcript.lines().filter_map(|line| line.strip_prefix("agent: ")).collect();
    let mut reply = Reply::default();
    for line in expectations.lines() {
        let Some((number, expectation)) = line.split_once(". ") else { continue };
        let Ok(number) = number.trim().parse::<u32>() else { continue };
        let quoted = expectation.split('"').nth(1).unwrap_or_default().to_lowercase();
        let said = agent.iter().find(|line| !quoted.is_empty() && line.to_lowercase().contains(&quoted));
        let (passed, reason) = match said {
            Some(line) => (true, format!("the agent said {quoted:?}: {line:?}")),
            None => (false, format!("the agent never said {quoted:?}")),
        };
        reply = reply.and_tool("record_verdict", json!({"number": number, "passed": passed, "reason": reason}));
    }
    reply
}

/// The scripted callee the brief describes, given the agent's words so far (its user turns);
/// its answer to the last of them.
fn play_callee(brief: &str, request: &Value) -> Reply {
    let line = |label: &str| {
        brief.lines().find_map(|line| line.strip_prefix(label)).map(str::trim).unwrap_or_default().to_owned()
    };
    let list = |label: &str| -> Vec<(String, String)> {
        let Some((_, after)) = brief.split_once(label) else { return Vec::new() };
        after
            .lines()
            .skip(1)
            .map_while(|line| line.strip_prefix("- "))
            .filter_map(|line| line.split_once(": ").map(|(key, value)| (key.to_owned(), value.to_owned())))
            .collect()
    };
    let behaviour =
        line("How you behave: ").split(':').next().and_then(Behaviour::parse).unwrap_or(Behaviour::Cooperative);
    let knows: BTreeMap<String, String> = list("What you know:").into_iter().collect();
    let fields: Vec<DataField> = list("What the caller may ask for:")
        .into_iter()
        .map(|(key, description)| DataField { key, field_type: FieldType::Text, description, required: false })
        .collect();
    let callee = Callee { who: line("Who you are: "), knows, behaviour };
    let mut scripted = ScriptedCallee::from_parts(&callee, &line("The caller is calling for: "), &fields);
    let messages = request["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut reply = CalleeReply::Silent;
    for message in messages.iter().filter(|message| message["role"] == "user") {
        let said: Vec<&str> =
            message["content"].as_array().into_iter().flatten().filter_map(|block| block["text"].as_str()).collect();
        reply = scripted.answer(&said.join(" "));
    }
    match reply {
        CalleeReply::Says(text) => Reply::text(&text),
        CalleeReply::Silent => Reply::default(),
        CalleeReply::HangsUp(text) if text.is_empty() => Reply::default().and_tool("hang_up", json!({})),
        CalleeReply::HangsUp(text) => Reply::text(&text).and_tool("hang_up", json!({})),
    }
}
