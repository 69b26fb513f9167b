//! The scripts of simulated calls: a quote conversation (or a decline, or a call-back request)
//! with a vendor, a violation conversation with a driver, and the goodbyes.

use switchboard_core::{CallState, Contact, ContactDetails, DataField, FieldType, Speaker, render};
use switchboard_engine::CallRequest;

use crate::persona::{DriverStance, VendorPersona, VendorStance};

/// One utterance of the script, and the field it yields, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
    pub field: Option<(String, String)>,
}

impl Turn {
    fn says(speaker: Speaker, text: impl Into<String>) -> Self {
        Self { speaker, text: text.into(), field: None }
    }

    fn gives(text: impl Into<String>, key: &str, value: &str) -> Self {
        Self { speaker: Speaker::Callee, text: text.into(), field: Some((key.to_owned(), value.to_owned())) }
    }
}

/// A script and how the call ends.
pub struct Script {
    pub turns: Vec<Turn>,
    pub ending: &'static str,
    /// The call's final state once the script has played.
    pub state: CallState,
}

impl Script {
    /// A conversation that ends normally.
    fn completed(turns: Vec<Turn>, ending: &'static str) -> Self {
        Self { turns, ending, state: CallState::Completed }
    }
}

/// The conversation between the agent in `request` and a vendor persona.
pub fn vendor_conversation(request: &CallRequest, persona: &VendorPersona) -> Script {
    let vendor = &request.contact;
    let mut turns = vec![Turn::says(Speaker::Agent, request.first_message.clone())];
    match persona.stance {
        VendorStance::Declines => {
            turns.push(Turn::says(Speaker::Callee, "Sorry, we're not taking new orders for that right now."));
            turns.push(Turn::says(Speaker::Agent, "Understood, thank you for your time. Goodbye."));
            return Script::completed(turns, "the vendor declined to quote");
        }
        VendorStance::CallBack => {
            turns
                .push(Turn::says(Speaker::Callee, "I'm about to go into a meeting. Can you call back this afternoon?"));
            turns.push(Turn::says(Speaker::Agent, "Of course, we'll call back this afternoon. Thank you."));
            return Script::completed(turns, "the vendor asked to be called back later");
        }
        VendorStance::Quotes => {}
    }
    turns.push(Turn::says(Speaker::Callee, vendor_greeting(vendor, persona)));
    // The campaign's request says how many (a call outside one quotes the vendor's usual order).
    let quantity = request.variables.get("quantity").and_then(|q| q.parse().ok()).unwrap_or(0);
    for field in &request.agent.config.data_fields {
        turns.push(Turn::says(Speaker::Agent, field_question(field)));
        match persona.answer(&field.key, quantity) {
            Some((line, value)) => turns.push(Turn::gives(line, &field.key, &value)),
            None => turns.push(Turn::says(Speaker::Callee, NO_ANSWER)),
        }
    }
    turns.push(Turn::says(Speaker::Agent, "Thank you, that's everything I needed. Have a good day."));
    turns.push(Turn::says(Speaker::Callee, format!("You too, {}. Bye now.", request.agent.config.organization)));
    Script::completed(turns, "the vendor answered every question and the agent said goodbye")
}

/// The conversation between the agent in `request` and a driver. A driver who asks for the
/// dispatcher is transferred when the agent has a number to transfer to.
pub fn driver_conversation(request: &CallRequest, stance: DriverStance) -> Script {
    let violations = match &request.contact.fields.details {
        ContactDetails::Driver(driver) => driver.violations.iter().map(|v| v.kind.to_lowercase()).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let what = if violations.is_empty() { "those events".to_owned() } else { violations.join(" and ") };
    let mut turns = vec![Turn::says(Speaker::Agent, request.first_message.clone())];
    if stance == DriverStance::Driving {
        turns.push(Turn::gives("I'm driving right now.", "driver_comment", "driving; call back when stopped"));
        turns.push(Turn::says(
            Speaker::Agent,
            "No problem, please don't talk while driving. We'll call back when you've stopped. Drive safe.",
        ));
        return Script::completed(turns, "the driver was driving; the agent will call back");
    }
    turns.push(Turn::says(Speaker::Callee, "Yeah, I'm parked. Go ahead."));
    turns.push(Turn::says(
        Speaker::Agent,
        format!("Our system recorded {what} on your trip. Can you tell me what happened?"),
    ));
    let ending = match stance {
        // A driver at the wheel was answered above.
        DriverStance::Acknowledges | DriverStance::Driving => {
            turns.push(Turn::gives(
                "Traffic stopped hard in front of me, that's all.",
                "driver_comment",
                "traffic stopped suddenly ahead",
            ));
            turns.push(Turn::says(Speaker::Agent, "Thanks. Do you acknowledge the events so we can close this out?"));
            turns.push(Turn::gives("Yes, I understand. I'll be more careful.", "acknowledged", "yes"));
            "the driver acknowledged the violations"
        }
        DriverStance::Disputes => {
            turns.push(Turn::gives(
                "That wasn't me. The truck ahead cut me off.",
                "driver_comment",
                "disputes: cut off by another truck",
            ));
            turns.push(Turn::says(
                Speaker::Agent,
                "I've noted that you dispute it. The safety team will review the footage.",
            ));
            turns.push(Turn::gives("Good, because I'm not signing off on that.", "acknowledged", "no"));
            "the driver disputed the violations; noted for review"
        }
        DriverStance::AsksForDispatcher | DriverStance::WantsCallBack => {
            let transfer_to = render(&request.agent.config.transfer_to, &request.variables).unwrap_or_default();
            if stance == DriverStance::AsksForDispatcher && !transfer_to.trim().is_empty() {
                turns.push(Turn::gives("I'd rather talk to my dispatcher about this.", "wants_dispatcher", "yes"));
                turns.push(Turn::says(Speaker::Agent, "Of course, I'll transfer you to your dispatcher now."));
                return Script::completed(turns, "transferred to the dispatcher, as the driver asked");
            }
            turns.push(Turn::gives(
                "I'm not getting into this with a machine. Have my dispatcher call me.",
                "wants_dispatcher",
                "yes",
            ));
            turns.push(Turn::says(Speaker::Agent, "Of course. I'll ask your dispatcher to call you back today."));
            "the driver asked for the dispatcher to call back"
        }
        DriverStance::LineDrops => {
            turns.push(Turn::says(Speaker::Callee, "Well, what happened was, I was coming up on the —"));
            return Script { turns, ending: "the line dropped mid-call", state: CallState::Failed };
        }
    };
    turns.push(Turn::says(Speaker::Agent, "Thank you. Drive safe."));
    Script::completed(turns, ending)
}

/// A one-off call with an action and context: the callee listens, agrees, and answers what
/// the agent asks (confirmation, changes) cooperatively.
pub fn person_conversation(request: &CallRequest) -> Script {
    let mut turns = vec![
        Turn::says(Speaker::Agent, request.first_message.clone()),
        Turn::says(Speaker::Callee, format!("Hi, yes, this is {}.", request.contact.fields.name)),
    ];
    for field in &request.agent.config.data_fields {
        turns.push(Turn::says(Speaker::Agent, field_question(field)));
        let (line, value) = match field.field_type {
            FieldType::Boolean => ("Yes, that works for me.", "yes"),
            _ => ("Nothing to add, thanks.", "none"),
        };
        turns.push(Turn::gives(line, &field.key, value));
    }
    turns.push(Turn::says(Speaker::Agent, "Thank you, that's all. Have a good day."));
    turns.push(Turn::says(Speaker::Callee, "You too, bye."));
    Script::completed(turns, "the callee heard the action and answered every question")
}

/// What a vendor without the asked value says.
pub const NO_ANSWER: &str = "I'd have to check on that and get back to you.";

/// How a quoting vendor's representative answers the phone.
pub fn vendor_greeting(vendor: &Contact, persona: &VendorPersona) -> String {
    format!("Yes, this is {}, {} speaking. How can I help?", vendor.fields.name, persona.first_name)
}

/// How the agent asks for `field`: a description written as a question is asked as it is
/// ("Is freight to Chicago included?"), one that starts as a clause follows "Could you tell me"
/// ("whether the appointment is confirmed"), and a noun gets "the" ("the lead time in days").
pub fn field_question(field: &DataField) -> String {
    let description = field.description.trim().trim_end_matches(['.', '?']);
    let first_word = description.split_whitespace().next().unwrap_or_default().to_lowercase();
    if QUESTION_STARTS.contains(&first_word.as_str()) {
        let mut chars = description.chars();
        let capitalised: String =
            chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
        return format!("{capitalised}?");
    }
    let article = if CLAUSE_STARTS.contains(&first_word.as_str()) { "" } else { "the " };
    format!("Could you tell me {article}{}?", lowercase_first(description))
}

/// First words of a description that is itself a question.
const QUESTION_STARTS: [&str; 14] =
    ["is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would", "should", "has", "have"];
/// First words after which "Could you tell me" reads on without "the".
const CLAUSE_STARTS: [&str; 14] =
    ["whether", "if", "what", "which", "who", "when", "where", "why", "how", "any", "the", "your", "their", "a"];

/// The field of `fields` the agent asks for in `said`, if it asks for one.
pub fn field_asked<'a>(fields: &'a [DataField], said: &str) -> Option<&'a DataField> {
    let said = said.to_lowercase();
    fields.iter().find(|field| said.contains(&lowercase_first(&field.description).to_lowercase()))
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.trim().trim_end_matches(['.', '?']).chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(description: &str) -> String {
        let field = DataField {
            key: "k".into(),
            field_type: FieldType::Text,
            description: description.into(),
            required: false,
        };
        field_question(&field)
    }

    #[test]
    fn every_kind_of_description_reads_as_a_question() {
        assert_eq!(asked("Is freight to Chicago included"), "Is freight to Chicago included?");
        assert_eq!(asked("does the price include pallets?"), "Does the price include pallets?");
        assert_eq!(
            asked("Whether the appointment is confirmed"),
            "Could you tell me whether the appointment is confirmed?"
        );
        assert_eq!(asked("Lead time in days"), "Could you tell me the lead time in days?");
        assert_eq!(asked("Any change they ask for"), "Could you tell me any change they ask for?");
    }
}
