//! Reading the TwiML a gather call answers with, as Twilio runs it: the verbs in order, a
//! `<Gather>`'s nested `<Say>`s as its prompt.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One verb of a `<Response>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Say(String),
    Pause,
    Gather(GatherVerb),
    Redirect(String),
    Hangup,
    /// `<Dial>` with the number it connects to.
    Dial(String),
    /// A verb the driver does not act on (its name).
    Other(String),
}

/// A `<Gather>`: where it posts, whether silence posts too, and what it says meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherVerb {
    pub action: String,
    pub input: String,
    pub language: Option<String>,
    pub speech_timeout: Option<String>,
    pub action_on_empty_result: bool,
    pub prompt: Vec<String>,
}

/// The verbs of `document`, or why it is not TwiML.
pub fn parse(document: &str) -> Result<Vec<Verb>, String> {
    let mut reader = Reader::from_str(document);
    let mut verbs = Vec::new();
    let mut in_response = false;
    // The verb being read: its name and attributes, and its text.
    let mut open: Option<(String, Vec<(String, String)>)> = None;
    let mut text = String::new();
    let mut gather: Option<GatherVerb> = None;
    loop {
        match reader.read_event().map_err(|error| format!("not XML: {error}"))? {
            Event::Start(start) => {
                let (name, attributes) = element(&start)?;
                match (name.as_str(), in_response, &mut gather) {
                    ("Response", false, _) => in_response = true,
                    ("Gather", true, None) => gather = Some(gather_verb(&attributes)),
                    (_, true, _) => {
                        open = Some((name, attributes));
                        text.clear();
                    }
                    _ => return Err(format!("<{name}> outside <Response>")),
                }
            }
            Event::Empty(start) => {
                let (name, attributes) = element(&start)?;
                match (name.as_str(), in_response) {
                    ("Response", false) => return Ok(verbs),
                    ("Gather", true) => verbs.push(Verb::Gather(gather_verb(&attributes))),
                    (_, true) => verbs.push(verb(&name, &attributes, "")),
                    _ => return Err(format!("<{name}> outside <Response>")),
                }
            }
            Event::Text(content) => {
                text.push_str(&content.xml10_content());
            }
            Event::GeneralRef(reference) => {
                let name: &str = &reference;
                let entity = format!("&{name};");
                text.push_str(&quick_xml::escape::unescape(&entity).map_err(|error| format!("bad entity: {error}"))?);
            }
            Event::End(end) => {
                let name = end.name().as_ref().to_owned();
                if let Some((open_name, attributes)) = open.take() {
                    let parsed = verb(&open_name, &attributes, text.trim());
                    match (&mut gather, parsed) {
                        (Some(gather), Verb::Say(said)) => gather.prompt.push(said),
                        (Some(_), other) => return Err(format!("<Gather> holds {other:?}")),
                        (None, parsed) => verbs.push(parsed),
                    }
                } else if name == "Gather" {
                    verbs.extend(gather.take().map(Verb::Gather));
                } else if name == "Response" {
                    return Ok(verbs);
                }
            }
            Event::Eof => return Err("the document ends inside <Response>".into()),
            _ => {}
        }
    }
}

fn element(start: &BytesStart<'_>) -> Result<(String, Vec<(String, String)>), String> {
    let name = start.name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| format!("bad attribute on <{name}>: {error}"))?;
        let value = attribute
            .normalized_value(XmlVersion::default())
            .map_err(|error| format!("bad attribute on <{name}>: {error}"))?;
        attributes.push((attribute.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok((name, attributes))
}

fn attribute(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
}

fn gather_verb(attributes: &[(String, String)]) -> GatherVerb {
    GatherVerb {
        action: attribute(attributes, "action").unwrap_or_default(),
        input: attribute(attributes, "input").unwrap_or_else(|| "dtmf".into()),
        language: attribute(attributes, "language"),
        speech_timeout: attribute(attributes, "speechTimeout"),
        action_on_empty_result: attribute(attributes, "actionOnEmptyResult").as_deref() == Some("true"),
        prompt: Vec::new(),
    }
}

fn verb(name: &str, _attributes: &[(String, String)], text: &str) -> Verb {
    match name {
        "Say" => Verb::Say(text.to_owned()),
        "Pause" => Verb::Pause,
        "Redirect" => Verb::Redirect(text.to_owned()),
        "Hangup" => Verb::Hangup,
        "Dial" | "Number" => Verb::Dial(text.to_owned()),
        other => Verb::Other(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use switchboard_providers::twilio::{Dial, Gather, Say, SpeechTimeout, TwimlResponse};

    use super::{GatherVerb, Verb, parse};

    #[test]
    fn the_builders_documents_read_back() {
        let mut gather = Gather::speech("https://x.test/twilio/gather?call=1&a=b");
        gather.speech_timeout = Some(SpeechTimeout::Auto);
        gather.language = Some("en-US".into());
        gather.action_on_empty_result = Some(true);
        gather.prompt = vec![Say::new("Prices & terms <today>?")];
        let document = TwimlResponse::new()
            .say(Say::new("Hi"))
            .gather(gather)
            .pause(1)
            .redirect("https://x.test/r")
            .dial(Dial::number("+13125550100"))
            .hangup()
            .render()
            .unwrap();
        let verbs = parse(document.as_str()).unwrap();
        assert_eq!(
            verbs,
            [
                Verb::Say("Hi".into()),
                Verb::Gather(GatherVerb {
                    action: "https://x.test/twilio/gather?call=1&a=b".into(),
                    input: "speech".into(),
                    language: Some("en-US".into()),
                    speech_timeout: Some("auto".into()),
                    action_on_empty_result: true,
                    prompt: vec!["Prices & terms <today>?".into()],
                }),
                Verb::Pause,
                Verb::Redirect("https://x.test/r".into()),
                Verb::Dial("+13125550100".into()),
                Verb::Hangup,
            ]
        );
        assert_eq!(parse(TwimlResponse::new().render().unwrap().as_str()).unwrap(), []);
        assert!(parse("<Say>no response</Say>").is_err());
    }
}
