//! `{{variable}}` templates for prompts and first messages.
//!
//! Hand-written rather than a template engine: the syntax is only `{{name}}` (the form the
//! providers' dashboards use), and a missing variable must be an error that lists every name.

use std::collections::BTreeMap;

/// Values for a template's variables.
pub type Variables = BTreeMap<String, String>;

/// The variables a template needs that were not supplied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing template variables: {}", .0.join(", "))]
pub struct MissingVariables(pub Vec<String>);

/// The distinct variable names a template uses, in order of first use.
pub fn variables_in(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for_each_part(template, |part| {
        if let Part::Variable(name) = part
            && !names.iter().any(|known| known == name)
        {
            names.push(name.to_owned());
        }
    });
    names
}

/// Fills every `{{name}}` from `vars`; fails listing every name with no value.
pub fn render(template: &str, vars: &Variables) -> Result<String, MissingVariables> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut missing: Vec<String> = Vec::new();
    for_each_part(template, |part| match part {
        Part::Text(text) => out.push_str(text),
        Part::Variable(name) => match vars.get(name) {
            Some(value) => out.push_str(value),
            None if !missing.iter().any(|m| m == name) => missing.push(name.to_owned()),
            None => {}
        },
    });
    if missing.is_empty() { Ok(out) } else { Err(MissingVariables(missing)) }
}

enum Part<'a> {
    Text(&'a str),
    Variable(&'a str),
}

fn for_each_part<'a>(template: &'a str, mut visit: impl FnMut(Part<'a>)) {
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        let name = rest[open + 2..open + 2 + close].trim();
        if is_variable_name(name) {
            visit(Part::Text(&rest[..open]));
            visit(Part::Variable(name));
        } else {
            visit(Part::Text(&rest[..open + 4 + close]));
        }
        rest = &rest[open + 4 + close..];
    }
    visit(Part::Text(rest));
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fills_variables_with_or_without_spaces() {
        let out =
            render("Hi {{name}}, {{ qty }} of {{item}}.", &vars(&[("name", "Acme"), ("qty", "10"), ("item", "bolts")]));
        assert_eq!(out.unwrap(), "Hi Acme, 10 of bolts.");
    }

    #[test]
    fn lists_every_missing_variable_once() {
        let err = render("{{a}} {{b}} {{a}} {{c}}", &vars(&[("b", "x")])).unwrap_err();
        assert_eq!(err.0, vec!["a".to_string(), "c".to_string()]);
        assert_eq!(err.to_string(), "missing template variables: a, c");
    }

    #[test]
    fn leaves_text_that_is_not_a_variable() {
        assert_eq!(render("{{not a var}} and {{", &Variables::new()).unwrap(), "{{not a var}} and {{");
        assert_eq!(variables_in("{{x}} {{ y }} {{x}} {{bad name}}"), vec!["x", "y"]);
    }
}
