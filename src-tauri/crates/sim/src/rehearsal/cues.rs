//! What the scripted agent listens for in the callee's words.

/// Words that ask for a person rather than the agent.
pub const WANTS_A_PERSON: [&str; 4] = ["a person", "a human", "dispatcher", "manager"];
/// Words of someone the call is not for.
pub const WRONG_PERSON: [&str; 3] = ["wrong number", "nobody called", "no one by that name"];
/// Words of someone who cannot talk now.
pub const CALL_BACK: [&str; 4] = ["call me back", "call back", "in the middle of", "driving"];
/// Words of someone who wants the call over.
pub const HOSTILE: [&str; 3] = ["not interested", "wasting my time", "leave me alone"];
/// Words that press on price.
pub const PRESSES_ON_PRICE: [&str; 7] =
    ["room on", "better price", "lower", "could you do", "can you do", "come down", "discount"];

/// Whether `text` holds any of `words` (case-insensitive).
pub fn says_any(text: &str, words: &[&str]) -> bool {
    let text = text.to_lowercase().replace(['’', '‘'], "'");
    words.iter().any(|word| text.contains(word))
}

/// The digit a phone menu's first "press N" asks for.
pub fn menu_digit(text: &str) -> Option<char> {
    let lower = text.to_lowercase();
    let at = lower.find("press ")?;
    lower[at + "press ".len()..].chars().next().filter(char::is_ascii_digit)
}
