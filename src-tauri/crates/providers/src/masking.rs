//! Masks credentials in text a provider (or a proxy in front of it) sent back, such as an error
//! body or a close reason, in every form a credential travels in: as is, base64 (as in an
//! `Authorization: Basic` header, whose `user:secret` pair a client lists as one credential) and
//! URL-encoded.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// What a credential is replaced with.
pub(crate) const MASK: &str = "••••";

/// Encoded forms shorter than this are not masked: the few base64 characters a very short
/// credential always encodes to turn up in ordinary text and would shred it.
const SHORTEST_ENCODED_FORM: usize = 8;

/// `text` with every form of each of `credentials` replaced by [`MASK`].
pub(crate) fn mask(text: &str, credentials: &[&str]) -> String {
    let mut forms: Vec<String> = credentials
        .iter()
        .filter(|credential| !credential.is_empty())
        .flat_map(|credential| forms(credential))
        .collect();
    // Longest first, so a form inside a longer one never leaves the rest of it showing.
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    forms.dedup();
    let mut masked = text.to_owned();
    for form in forms.iter().filter(|form| !form.is_empty()) {
        if masked.contains(form.as_str()) {
            masked = masked.replace(form.as_str(), MASK);
        }
    }
    masked
}

/// The forms `credential` may appear in.
fn forms(credential: &str) -> Vec<String> {
    let url_encoded: String = form_urlencoded::byte_serialize(credential.as_bytes()).collect();
    let lower_hex = lowercase_escapes(&url_encoded);
    let mut encoded = vec![url_encoded, lower_hex];
    for engine in [&STANDARD, &URL_SAFE] {
        // The whole encoding (with its padding), then what shows of it within longer text.
        encoded.push(engine.encode(credential));
        encoded.extend((0..3).map(|offset| base64_core(engine, credential.as_bytes(), offset)));
    }
    encoded.retain(|form| form.len() >= SHORTEST_ENCODED_FORM);
    encoded.push(credential.to_owned());
    encoded
}

/// The base64 characters `bytes` always encode to when they start `offset` bytes (0 to 2) into
/// the encoded text, whatever comes before or after them: the characters that also carry bits of
/// their neighbours are left out (offset 0 and a length divisible by three is the whole encoding,
/// padding aside).
fn base64_core(engine: &impl base64::Engine, bytes: &[u8], offset: usize) -> String {
    let mut shifted = vec![0_u8; offset];
    shifted.extend_from_slice(bytes);
    let encoded = engine.encode(&shifted);
    // Characters holding any of the offset's bits, and the last ones not wholly made of `bytes`.
    let skip = [0, 2, 3][offset];
    let whole = shifted.len() * 8 / 6;
    encoded.get(skip..whole).unwrap_or_default().to_owned()
}

/// `%3A` as `%3a`: percent-escapes may be written in either case.
fn lowercase_escapes(encoded: &str) -> String {
    let mut lower = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for character in encoded.chars() {
        if character == '%' {
            hex_left = 2;
            lower.push(character);
        } else if hex_left > 0 {
            hex_left -= 1;
            lower.push(character.to_ascii_lowercase());
        } else {
            lower.push(character);
        }
    }
    lower
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    use super::{MASK, mask};

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "f00dfeed/beef+cafe:1234 5678";

    #[test]
    fn a_basic_authorization_header_is_masked_however_it_is_echoed() {
        let pair = format!("{SID}:{TOKEN}");
        let credentials = [TOKEN, pair.as_str()];
        let basic = STANDARD.encode(&pair);
        for echoed in [
            format!("{{\"error\":\"bad header\",\"authorization\":\"Basic {basic}\"}}"),
            format!("Authorization: Basic {}", URL_SAFE_NO_PAD.encode(&pair)),
            format!("token={}", form_urlencoded::byte_serialize(TOKEN.as_bytes()).collect::<String>()),
            format!("token={}", "f00dfeed%2fbeef%2bcafe%3a1234+5678"),
            format!("raw {TOKEN} and the pair {pair}"),
            // The token alone encoded inside a longer base64 text, at each alignment.
            STANDARD.encode(format!("x{TOKEN}y")),
            STANDARD.encode(format!("xy{TOKEN}z")),
            STANDARD.encode(format!("user:{TOKEN}")),
        ] {
            let masked = mask(&echoed, &credentials);
            assert!(masked.contains(MASK), "{echoed} → {masked}");
            for leak in [TOKEN, &basic[..20], "f00dfeed%2", "f00dfeed%2f", "ZjAwZGZlZWQv"] {
                assert!(!masked.contains(leak), "{echoed} → {masked} still holds {leak}");
            }
        }
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        assert_eq!(mask("nothing to see: QUMx", &[TOKEN, ""]), "nothing to see: QUMx");
        assert_eq!(mask("empty credentials mask nothing", &[""]), "empty credentials mask nothing");
    }

    #[test]
    fn a_very_short_credential_masks_itself_but_not_the_letters_its_encodings_share() {
        let text = r#"{"error":"still unavailable"}"#;
        assert_eq!(mask(text, &["k"]), text);
        assert_eq!(mask("key k", &["k"]), format!("{MASK}ey {MASK}"));
    }
}
