//! Phone numbers: parse what people type and normalise it to E.164 (the `phonenumber` crate,
//! a port of Google's libphonenumber), keeping an extension ("x12", "ext. 12") apart.

use phonenumber::{Mode, PhoneNumber, country};

/// A number to dial: E.164, and the extension to key in once answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    pub e164: String,
    /// Digits only, e.g. "12".
    pub extension: Option<String>,
}

impl Phone {
    /// A number without an extension.
    pub fn plain(e164: impl Into<String>) -> Self {
        Self { e164: e164.into(), extension: None }
    }
}

/// Why a phone number cannot be dialled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("{input:?} is not a phone number: {detail}")]
    Unparseable { input: String, detail: String },
    #[error("{input:?} is not a valid phone number (read with default region {region})")]
    Invalid { input: String, region: String },
    #[error("unknown default region {0:?}: use a two-letter ISO country code such as US")]
    UnknownRegion(String),
}

/// Normalises `input` to E.164 (`+14155550123`). Numbers without a leading `+` are read in
/// `default_region` (an ISO 3166 alpha-2 code such as `US`). An extension is not part of
/// E.164: use [`parse_phone`] for numbers that may have one.
pub fn normalize_phone(input: &str, default_region: &str) -> Result<String, PhoneError> {
    Ok(parse(input, default_region)?.format().mode(Mode::E164).to_string())
}

/// Reads `input` as [`normalize_phone`] does, keeping its extension
/// (`(415) 230-0134 x12` → `+14152300134` and `12`).
pub fn parse_phone(input: &str, default_region: &str) -> Result<Phone, PhoneError> {
    let number = parse(input, default_region)?;
    let extension = number.extension().map(|ext| ext.to_string()).filter(|ext| !ext.is_empty());
    Ok(Phone { e164: number.format().mode(Mode::E164).to_string(), extension })
}

fn parse(input: &str, default_region: &str) -> Result<PhoneNumber, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let region: country::Id = default_region
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| PhoneError::UnknownRegion(default_region.to_owned()))?;
    let number = phonenumber::parse(Some(region), trimmed)
        .map_err(|err| PhoneError::Unparseable { input: trimmed.to_owned(), detail: err.to_string() })?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneError::Invalid { input: trimmed.to_owned(), region: default_region.to_owned() });
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_international_forms_normalise() {
        assert_eq!(normalize_phone("(312) 555-0143", "US").unwrap(), "+13125550143");
        assert_eq!(normalize_phone("+44 20 7946 0958", "US").unwrap(), "+442079460958");
        assert_eq!(normalize_phone(" 312.555.0143 ", "us").unwrap(), "+13125550143");
    }

    #[test]
    fn extensions_are_kept_apart_from_the_number() {
        for input in ["(415) 230-0134 x12", "415-230-0134 ext. 12", "+1 415 230 0134 extension 12", "4152300134,12"] {
            let phone = parse_phone(input, "US").unwrap();
            assert_eq!(phone, Phone { e164: "+14152300134".into(), extension: Some("12".into()) }, "{input}");
        }
        assert_eq!(parse_phone("(415) 230-0134", "US").unwrap(), Phone::plain("+14152300134"));
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(normalize_phone("  ", "US"), Err(PhoneError::Empty));
        assert!(matches!(normalize_phone("555-0142", "US"), Err(PhoneError::Invalid { .. })));
        assert!(matches!(normalize_phone("call me", "US"), Err(PhoneError::Unparseable { .. })));
        assert_eq!(normalize_phone("3125550143", "XX"), Err(PhoneError::UnknownRegion("XX".into())));
    }
}
