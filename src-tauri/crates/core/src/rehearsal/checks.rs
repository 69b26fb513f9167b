//! The deterministic checks of a run: each of a scenario's expectations read from what was said,
//! collected and how the call ended, with the reason it passed or failed.

use crate::offer::first_number;
use crate::quote_terms::leading_number;
use crate::rehearsal::{Check, Expectations, FieldExpectation, RehearsalEnding, Rehearsed};
use crate::{Speaker, Variables};

/// Words a callee uses to ask never to be called again.
const DO_NOT_CALL_PHRASES: [&str; 7] = [
    "take me off",
    "remove me from",
    "stop calling",
    "don't call me",
    "do not call me",
    "do-not-call",
    "no more calls",
];

/// Words of a polite goodbye.
const POLITE_CLOSINGS: [&str; 6] = ["thank", "goodbye", "bye", "have a good", "take care", "appreciate"];

/// Whether the callee asks, in `speech`, never to be called again ("take me off your list").
pub fn asks_not_to_be_called(speech: &str) -> bool {
    let text = speech.to_lowercase().replace(['’', '‘'], "'");
    DO_NOT_CALL_PHRASES.iter().any(|phrase| text.contains(phrase))
}

/// Judges `rehearsed` against `expect`; `variables` are the call's (the negotiation's own
/// figures, `their_price`, are quotes the agent may repeat, not prices it asks for).
pub fn check_run(expect: &Expectations, variables: &Variables, rehearsed: &Rehearsed) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut check = |expectation: String, passed: bool, reason: String| {
        checks.push(Check { expectation, passed, reason });
    };
    if let RehearsalEnding::Failed { reason } = &rehearsed.ending {
        check("completes".into(), false, format!("the run broke off: {reason}"));
    }
    for (key, expected) in &expect.fields {
        let (passed, reason) = field(rehearsed.fields.get(key).map(String::as_str), expected);
        check(format!("fields.{key}"), passed, reason);
    }
    if expect.no_fields {
        let collected: Vec<String> = rehearsed.fields.iter().map(|(key, value)| format!("{key} = {value:?}")).collect();
        let reason = if collected.is_empty() {
            "nothing was collected".to_owned()
        } else {
            format!("collected {}", collected.join(", "))
        };
        check("noFields".into(), collected.is_empty(), reason);
    }
    let agent: Vec<&str> = rehearsed.said_by(Speaker::Agent).map(|line| line.text.as_str()).collect();
    let said = |phrase: &str| agent.iter().find(|line| line.to_lowercase().contains(&phrase.to_lowercase())).copied();
    for phrase in &expect.must_say {
        match said(phrase) {
            Some(line) => check("mustSay".into(), true, format!("said {phrase:?}: {line:?}")),
            None => check("mustSay".into(), false, format!("never said {phrase:?}")),
        }
    }
    for phrase in &expect.must_not_say {
        match said(phrase) {
            Some(line) => check("mustNotSay".into(), false, format!("said {phrase:?}: {line:?}")),
            None => check("mustNotSay".into(), true, format!("never said {phrase:?}")),
        }
    }
    let turns = rehearsed.transcript.len();
    if let Some(max) = expect.max_turns {
        let within = turns <= max as usize && rehearsed.ending != RehearsalEnding::TurnLimit;
        check("maxTurns".into(), within, format!("{turns} turns, at most {max} expected"));
    }
    if expect.ends_politely {
        let (passed, reason) = ends_politely(rehearsed);
        check("endsPolitely".into(), passed, reason);
    }
    if expect.transfers {
        let (passed, reason) = match &rehearsed.ending {
            RehearsalEnding::Transferred { reason } => (true, format!("transferred: {reason}")),
            other => (false, format!("not transferred; the call ended {}", ending_words(other))),
        };
        check("transfers".into(), passed, reason);
    }
    if let Some(target) = expect.price_at_most {
        let (passed, reason) = price_goal(target, variables, rehearsed);
        check("priceAtMost".into(), passed, reason);
    }
    if expect.respects_do_not_call {
        let (passed, reason) = do_not_call(rehearsed);
        check("respectsDoNotCall".into(), passed, reason);
    }
    checks
}

fn field(value: Option<&str>, expected: &FieldExpectation) -> (bool, String) {
    let Some(value) = value else { return (false, "not collected".to_owned()) };
    match expected {
        FieldExpectation::Collected => (true, format!("collected {value:?}")),
        FieldExpectation::Equals(wanted) => {
            let (got, want) = (normalised(value), normalised(wanted));
            // "yes, I understand" is a yes: the expected words, then nothing or a new word.
            let passed = got.strip_prefix(&want).is_some_and(|rest| !rest.starts_with(char::is_alphanumeric));
            (passed, format!("collected {value:?}, {wanted:?} expected"))
        }
        FieldExpectation::Range { min, max } => match first_number(value) {
            Some(number) => {
                let passed = (*min..=*max).contains(&number);
                (passed, format!("collected {value:?} ({number}), {min} to {max} expected"))
            }
            None => (false, format!("collected {value:?}, which has no number ({min} to {max} expected)")),
        },
    }
}

fn normalised(text: &str) -> String {
    text.trim().trim_start_matches('$').to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ending_words(ending: &RehearsalEnding) -> String {
    match ending {
        RehearsalEnding::Agent { reason } => format!("by the agent ({reason})"),
        RehearsalEnding::Transferred { reason } => format!("in a transfer ({reason})"),
        RehearsalEnding::Callee => "with the callee hanging up".to_owned(),
        RehearsalEnding::TurnLimit => "cut off at the turn limit".to_owned(),
        RehearsalEnding::Failed { reason } => format!("in a failure ({reason})"),
    }
}

fn ends_politely(rehearsed: &Rehearsed) -> (bool, String) {
    let RehearsalEnding::Agent { .. } = &rehearsed.ending else {
        return (false, format!("the agent did not end the call: it ended {}", ending_words(&rehearsed.ending)));
    };
    let Some(last) = rehearsed.said_by(Speaker::Agent).last() else {
        return (false, "the agent said nothing".to_owned());
    };
    let text = last.text.to_lowercase();
    if POLITE_CLOSINGS.iter().any(|closing| text.contains(closing)) {
        (true, format!("ended with {:?}", last.text))
    } else {
        (false, format!("ended with {:?}, which takes no polite leave", last.text))
    }
}

/// Every "$4.20" in `text`.
fn amounts(text: &str) -> Vec<f64> {
    text.split('$').skip(1).filter_map(leading_number).collect()
}

/// The agent asks for a price at or under `target`, and never for one above it. Prices the
/// callee quoted, or the call's `their_price`, are repeated quotes, not asks.
fn price_goal(target: f64, variables: &Variables, rehearsed: &Rehearsed) -> (bool, String) {
    let mut quoted: Vec<f64> = variables
        .get("their_price")
        .map(|price| amounts(&format!("${}", price.trim_start_matches('$'))))
        .unwrap_or_default();
    let mut asks = Vec::new();
    for line in &rehearsed.transcript {
        let found = amounts(&line.text);
        match line.speaker {
            Speaker::Callee => quoted.extend(found),
            Speaker::Agent => {
                asks.extend(found.into_iter().filter(|amount| !quoted.iter().any(|q| (q - amount).abs() < 0.005)))
            }
        }
    }
    let above: Vec<String> = asks.iter().filter(|ask| **ask > target + 1e-9).map(|ask| format!("${ask:.2}")).collect();
    if !above.is_empty() {
        return (false, format!("asked for {} above the target ${target:.2}", above.join(", ")));
    }
    match asks.first() {
        Some(ask) => (true, format!("asked for ${ask:.2}, at or under the target ${target:.2}")),
        None => (false, format!("never asked for a price (the target is ${target:.2})")),
    }
}

/// After "take me off your list", the agent's next turn ends the call with no more questions,
/// and the contact is marked do-not-call.
fn do_not_call(rehearsed: &Rehearsed) -> (bool, String) {
    let Some(asked) = rehearsed
        .transcript
        .iter()
        .position(|line| line.speaker == Speaker::Callee && asks_not_to_be_called(&line.text))
    else {
        return (false, "the callee never asked to be taken off the list".to_owned());
    };
    let after: Vec<&str> = rehearsed.transcript[asked + 1..]
        .iter()
        .filter(|line| line.speaker == Speaker::Agent)
        .map(|line| line.text.as_str())
        .collect();
    if after.len() > 1 {
        return (false, format!("the agent went on after being asked to stop: {:?}", after[1]));
    }
    if let Some(question) = after.iter().find(|line| line.contains('?')) {
        return (false, format!("the agent asked more after being asked to stop: {question:?}"));
    }
    if !matches!(rehearsed.ending, RehearsalEnding::Agent { .. }) {
        return (false, format!("the agent did not end the call: it ended {}", ending_words(&rehearsed.ending)));
    }
    if !rehearsed.do_not_call {
        return (false, "the call ended but the contact was not marked do-not-call".to_owned());
    }
    (true, "the agent ended the call at once and the contact was marked do-not-call".to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::TranscriptLine;

    fn run(lines: &[(Speaker, &str)], fields: &[(&str, &str)], ending: RehearsalEnding) -> Rehearsed {
        Rehearsed {
            transcript: lines
                .iter()
                .enumerate()
                .map(|(seq, (speaker, text))| TranscriptLine {
                    seq: seq as u32,
                    speaker: *speaker,
                    text: (*text).into(),
                    offset_ms: 0,
                })
                .collect(),
            fields: fields.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect(),
            ending,
            do_not_call: false,
            provider_verdict: None,
        }
    }

    fn failed(checks: &[Check]) -> Vec<&str> {
        checks.iter().filter(|check| !check.passed).map(|check| check.expectation.as_str()).collect()
    }

    #[test]
    fn fields_are_checked_by_presence_value_and_range() {
        let fields = BTreeMap::from([
            ("unit_price".to_owned(), FieldExpectation::Range { min: 3.0, max: 5.0 }),
            ("acknowledged".to_owned(), FieldExpectation::Equals("yes".into())),
            ("moq".to_owned(), FieldExpectation::Collected),
            ("terms".to_owned(), FieldExpectation::Equals("Net 30".into())),
        ]);
        let expect = Expectations { fields, ..Expectations::default() };
        let agent = RehearsalEnding::Agent { reason: "done".into() };
        let good = run(
            &[],
            &[
                ("unit_price", "$4.10 per unit"),
                ("acknowledged", "Yes, I understand"),
                ("moq", "500"),
                ("terms", "net 30"),
            ],
            agent.clone(),
        );
        assert!(failed(&check_run(&expect, &Variables::new(), &good)).is_empty());
        let bad = run(&[], &[("unit_price", "$6.10"), ("acknowledged", "yesterday"), ("terms", "Net 300")], agent);
        let checks = check_run(&expect, &Variables::new(), &bad);
        assert_eq!(failed(&checks), ["fields.acknowledged", "fields.moq", "fields.terms", "fields.unit_price"]);
        assert!(checks.iter().any(|check| check.reason == "not collected"));
    }

    #[test]
    fn phrases_turns_and_a_polite_end_are_read_from_the_agents_lines() {
        let expect = Expectations {
            must_say: vec!["call us back".into()],
            must_not_say: vec!["Great Lakes".into()],
            max_turns: Some(3),
            ends_politely: true,
            ..Expectations::default()
        };
        let agent = |reason: &str| RehearsalEnding::Agent { reason: reason.into() };
        let polite = run(
            &[
                (Speaker::Agent, "Hi, please call us back."),
                (Speaker::Callee, "Sure."),
                (Speaker::Agent, "Thank you, goodbye."),
            ],
            &[],
            agent("done"),
        );
        assert!(failed(&check_run(&expect, &Variables::new(), &polite)).is_empty());
        let rude = run(
            &[
                (Speaker::Agent, "Great lakes offered less."),
                (Speaker::Callee, "So?"),
                (Speaker::Agent, "So lower it."),
                (Speaker::Callee, "No."),
            ],
            &[],
            RehearsalEnding::Callee,
        );
        let checks = check_run(&expect, &Variables::new(), &rude);
        assert_eq!(failed(&checks), ["mustSay", "mustNotSay", "maxTurns", "endsPolitely"]);
        assert!(checks[1].reason.contains("Great lakes offered less."), "{:?}", checks[1]);
    }

    #[test]
    fn the_price_goal_counts_the_agents_own_asks_not_repeated_quotes() {
        let expect = Expectations { price_at_most: Some(4.2), ..Expectations::default() };
        let variables = Variables::from([("their_price".to_owned(), "$4.40".to_owned())]);
        let agent = RehearsalEnding::Agent { reason: "done".into() };
        let asks = run(
            &[(Speaker::Agent, "Thanks for your $4.40. Could you do $4.20?"), (Speaker::Callee, "$4.30 is my best.")],
            &[],
            agent.clone(),
        );
        assert!(failed(&check_run(&expect, &variables, &asks)).is_empty());
        let over = run(&[(Speaker::Agent, "Could you do $4.35?")], &[], agent.clone());
        assert_eq!(check_run(&expect, &variables, &over)[0].reason, "asked for $4.35 above the target $4.20");
        let never = run(&[(Speaker::Agent, "Any room on $4.40?")], &[], agent);
        assert!(!check_run(&expect, &variables, &never)[0].passed);
    }

    #[test]
    fn do_not_call_needs_an_end_at_once_and_the_mark() {
        let expect = Expectations { respects_do_not_call: true, ..Expectations::default() };
        let agent = RehearsalEnding::Agent { reason: "asked not to be called".into() };
        let lines = [
            (Speaker::Agent, "Hi."),
            (Speaker::Callee, "Take me off your list."),
            (Speaker::Agent, "Sorry, we will. Goodbye."),
        ];
        let mut respected = run(&lines, &[], agent.clone());
        respected.do_not_call = true;
        assert!(failed(&check_run(&expect, &Variables::new(), &respected)).is_empty());
        let unmarked = run(&lines, &[], agent.clone());
        assert!(check_run(&expect, &Variables::new(), &unmarked)[0].reason.contains("not marked"));
        let ignored = run(
            &[
                (Speaker::Agent, "Hi."),
                (Speaker::Callee, "Stop calling me."),
                (Speaker::Agent, "What is your lead time?"),
            ],
            &[],
            RehearsalEnding::TurnLimit,
        );
        let reason = &check_run(&expect, &Variables::new(), &ignored)[0].reason;
        assert!(reason.contains("asked more"), "{reason}");
    }
}
