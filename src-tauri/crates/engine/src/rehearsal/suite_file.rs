//! Suite files: JSON read with the path of any wrong value, then checked whole (every problem
//! with its path); and the suites shipped with the presets in `assets/suites/`.

use std::collections::HashSet;

use switchboard_core::{Behaviour, FieldError, FieldExpectation, Suite, check_contact};

use crate::sample::SHIPPED_SUITES;

/// Why a suite file was not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SuiteFileError {
    /// Not JSON, or a value of the wrong shape: where it is and what is wrong.
    #[error("{file}: {path} (line {line}, column {column}): {message}")]
    Parse { file: String, path: String, line: usize, column: usize, message: String },
    /// Read, but with problems (each with its path).
    #[error("{file}: {}", super::describe_problems(problems))]
    Invalid { file: String, problems: Vec<FieldError> },
}

/// Reads the suite in `json` (from `file`, for the error) and checks it.
pub fn parse_suite(file: &str, json: &str) -> Result<Suite, SuiteFileError> {
    let mut reader = serde_json::Deserializer::from_str(json);
    let suite: Suite = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        SuiteFileError::Parse {
            file: file.to_owned(),
            path: if path == "." { "the file".to_owned() } else { path },
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })?;
    let problems = validate_suite(&suite);
    if problems.is_empty() { Ok(suite) } else { Err(SuiteFileError::Invalid { file: file.to_owned(), problems }) }
}

/// serde_json's message without its own " at line L column C" (the error gives them apart).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Every problem with a suite, each with its path (`scenarios.2.expect.fields.unit_price`).
pub fn validate_suite(suite: &Suite) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if suite.agent.trim().is_empty() {
        problems.push(FieldError::new("agent", "the agent's name is required"));
    }
    problems.extend(
        check_contact(&suite.contact, "US")
            .problems
            .into_iter()
            .map(|problem| FieldError::new(format!("contact.{}", problem.field), problem.message)),
    );
    if suite.scenarios.is_empty() {
        problems.push(FieldError::new("scenarios", "a suite needs at least one scenario"));
    }
    let mut names = HashSet::new();
    for (index, scenario) in suite.scenarios.iter().enumerate() {
        let at = |field: &str| format!("scenarios.{index}.{field}");
        let name = scenario.name.trim();
        if name.is_empty() {
            problems.push(FieldError::new(at("name"), "a scenario needs a name"));
        } else if !names.insert(name.to_lowercase()) {
            problems.push(FieldError::new(at("name"), format!("another scenario is named {name:?}")));
        }
        let callee = &scenario.callee;
        if callee.who.trim().is_empty() {
            problems.push(FieldError::new(at("callee.who"), "say who the callee is"));
        }
        let needs = |key: &str| callee.knows.get(key).is_none_or(|value| value.trim().is_empty());
        match callee.behaviour {
            Behaviour::Ivr if needs("digit") => {
                problems.push(FieldError::new(at("callee.knows"), "an IVR needs the digit it wants (\"digit\")"));
            }
            Behaviour::Haggler if needs("floor_price") => problems.push(FieldError::new(
                at("callee.knows"),
                "a haggler needs the price it concedes to under pressure (\"floor_price\")",
            )),
            _ => {}
        }
        let expect = &scenario.expect;
        for (key, expected) in &expect.fields {
            if let FieldExpectation::Range { min, max } = expected
                && (min > max || min.is_nan() || max.is_nan())
            {
                problems.push(FieldError::new(
                    at(&format!("expect.fields.{key}")),
                    format!("the range's min ({min}) is above its max ({max})"),
                ));
            }
        }
        if expect.no_fields && !expect.fields.is_empty() {
            problems.push(FieldError::new(at("expect.noFields"), "expects no fields and some fields at once"));
        }
        for (list, phrases) in [("mustSay", &expect.must_say), ("mustNotSay", &expect.must_not_say)] {
            for (n, phrase) in phrases.iter().enumerate() {
                if phrase.trim().is_empty() {
                    problems.push(FieldError::new(at(&format!("expect.{list}.{n}")), "an empty phrase"));
                }
            }
        }
        if expect.max_turns.is_some_and(|turns| turns < 2) {
            problems.push(FieldError::new(at("expect.maxTurns"), "a call takes at least 2 turns"));
        }
        if expect.price_at_most.is_some_and(|price| price <= 0.0 || price.is_nan()) {
            problems.push(FieldError::new(at("expect.priceAtMost"), "the target price must be above 0"));
        }
    }
    problems
}

/// The shipped suite for the agent named `agent` (a preset's name), if there is one.
pub fn shipped_suite(agent: &str) -> Option<Suite> {
    SHIPPED_SUITES.iter().filter_map(|file| parse_suite(file.name, file.json).ok()).find(|suite| suite.agent == agent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{PRESETS, presets};

    #[test]
    fn every_preset_ships_a_valid_suite_of_at_least_six_scenarios() {
        let presets = presets(PRESETS).unwrap();
        assert_eq!(SHIPPED_SUITES.len(), presets.len());
        for preset in &presets {
            let file = SHIPPED_SUITES
                .iter()
                .find(|file| parse_suite(file.name, file.json).is_ok_and(|suite| suite.agent == preset.name));
            let file = file.unwrap_or_else(|| panic!("no valid suite for the preset {:?}", preset.name));
            let suite = parse_suite(file.name, file.json).unwrap();
            assert!(suite.scenarios.len() >= 6, "{}: {} scenarios", file.name, suite.scenarios.len());
        }
    }

    #[test]
    fn a_wrong_value_is_reported_with_its_path_and_line() {
        let json = SHIPPED_SUITES[0].json.replacen("\"cooperative\"", "\"cooprative\"", 1);
        let error = parse_suite("quote.json", &json).unwrap_err();
        let SuiteFileError::Parse { path, line, message, .. } = &error else { panic!("{error}") };
        assert_eq!(path, "scenarios[0].callee.behaviour", "{error}");
        assert!(*line > 1 && message.contains("cooprative"), "{error}");
        assert!(error.to_string().starts_with("quote.json: scenarios[0].callee.behaviour (line "), "{error}");
        let misspelt = SHIPPED_SUITES[0].json.replacen("\"mustNotSay\"", "\"mustNotSya\"", 1);
        let error = parse_suite("quote.json", &misspelt).unwrap_err();
        assert!(error.to_string().contains("mustNotSya"), "{error}");
    }

    #[test]
    fn every_problem_is_reported_together_with_its_path() {
        let mut suite = parse_suite("q", SHIPPED_SUITES[0].json).unwrap();
        suite.scenarios[1].name = suite.scenarios[0].name.to_uppercase();
        suite.scenarios[2].expect.fields.insert("unit_price".into(), FieldExpectation::Range { min: 5.0, max: 1.0 });
        suite.scenarios[3].expect.must_not_say.push(" ".into());
        suite.contact.phone = "12".into();
        let fields: Vec<String> = validate_suite(&suite).into_iter().map(|problem| problem.field).collect();
        let must_not_say =
            format!("scenarios.3.expect.mustNotSay.{}", suite.scenarios[3].expect.must_not_say.len() - 1);
        for expected in
            ["contact.phone", "scenarios.1.name", "scenarios.2.expect.fields.unit_price", must_not_say.as_str()]
        {
            assert!(fields.iter().any(|field| field == expected), "{expected} in {fields:?}");
        }
    }
}
