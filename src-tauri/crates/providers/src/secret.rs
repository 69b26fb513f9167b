//! `Secret`: an API key or token that never prints itself and is wiped from memory on drop.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A credential (API key, auth token, webhook secret). Debug and Display show only whether it is
/// set; the value is read with [`Secret::expose`] at the one place it goes on the wire, and the
/// memory holding it is zeroed when the last copy is dropped.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret value itself: for an auth header or an HMAC key, never for a message.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() { "(not set)" } else { "•••• (set)" })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_and_display_mask_the_value() {
        let secret = Secret::new("sk_live_abcdef");
        assert_eq!(secret.to_string(), "•••• (set)");
        assert_eq!(format!("{secret:?}"), "Secret(•••• (set))");
        assert!(!format!("{secret:?} {secret} {secret:#?}").contains("abcdef"));
        assert_eq!(secret.expose(), "sk_live_abcdef");
    }

    #[test]
    fn an_empty_secret_says_it_is_not_set() {
        assert_eq!(Secret::new("").to_string(), "(not set)");
    }

    #[test]
    fn a_struct_holding_a_secret_debugs_without_it() {
        #[derive(Debug)]
        struct Config {
            account: &'static str,
            token: Secret,
        }
        let config = Config { account: "AC1", token: Secret::new("hunter2") };
        let printed = format!("{config:?}");
        assert!(printed.contains(config.account) && !printed.contains(config.token.expose()), "{printed}");
    }
}
