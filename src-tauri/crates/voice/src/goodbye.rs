//! Whether the callee is saying goodbye (for the pipeline and speech-gather calls): a short utterance that takes leave ("bye", "goodbye",
//! "that's all", "I have to go") ends the call with a short closing instead of another turn.

/// Phrases that take leave wherever they appear.
const LEAVE_PHRASES: [&str; 8] =
    ["goodbye", "good bye", "bye bye", "bye now", "that's all", "that is all", "have to go", "gotta go"];

/// Whether `speech` takes leave of the agent. "Bye" alone (or closing a short sentence) counts;
/// a long answer that merely mentions a phrase does not.
pub fn says_goodbye(speech: &str) -> bool {
    let text = speech.to_lowercase().replace(['’', '‘'], "'");
    let words: Vec<&str> =
        text.split(|c: char| !(c.is_alphanumeric() || c == '\'')).filter(|word| !word.is_empty()).collect();
    if words.is_empty() || words.len() > 12 {
        return false;
    }
    let joined = words.join(" ");
    LEAVE_PHRASES.iter().any(|phrase| joined.contains(phrase)) || words.last() == Some(&"bye")
}

#[cfg(test)]
mod tests {
    use super::says_goodbye;

    #[test]
    fn leave_taking_is_recognised_and_answers_are_not() {
        for speech in ["Bye.", "Okay, goodbye!", "That's all, thanks.", "Sorry, I have to go.", "Thanks, bye now"] {
            assert!(says_goodbye(speech), "{speech}");
        }
        for speech in [
            "",
            "Lead time is about 14 days from order confirmation.",
            "Byers Street warehouse ships it.",
            "We can do $4.10 per unit, and that's all included, shipping, handling, the pallets and the insurance too.",
        ] {
            assert!(!says_goodbye(speech), "{speech}");
        }
    }
}
