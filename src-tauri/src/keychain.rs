//! API keys and webhook secrets: entered once in Settings and kept in the OS keychain (the
//! Secret Service on Linux), never in SQLite, logs, events or the window after entry. A headless
//! run reads them from the environment instead; a key set in the environment wins.

use serde::Serialize;
use switchboard_providers::{Provider, Secret};
use ts_rs::TS;

/// The keychain service name Switchboard's entries are filed under.
const SERVICE: &str = "app.switchboard.console";

/// What a key is to its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Twilio's account SID (with the auth token, Twilio's credentials).
    AccountSid,
    /// Twilio's auth token: its API credential, and what it signs webhooks with.
    AuthToken,
    ApiKey,
    /// What the provider signs its webhooks with.
    WebhookSecret,
    /// The secret of the shared key a Twilio Webhook Setting signs with instead of the auth token.
    SharedKey,
}

impl KeyRole {
    /// How Settings names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::AccountSid => "Account SID",
            Self::AuthToken => "Auth token",
            Self::ApiKey => "API key",
            Self::WebhookSecret => "Webhook secret",
            Self::SharedKey => "Webhook shared key",
        }
    }
}

/// One key Switchboard can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The name it is filed under, and the console refers to it by.
    pub id: &'static str,
    pub provider: Provider,
    pub role: KeyRole,
    /// The environment variable a headless run reads it from.
    pub env: &'static str,
}

/// The id of the secret of Twilio's webhook shared key.
pub const TWILIO_SHARED_KEY: &str = "twilio_webhook_shared_key";

/// Every key, by provider.
pub const KEYS: [KeySpec; 11] = [
    key("twilio_account_sid", Provider::Twilio, KeyRole::AccountSid, "TWILIO_ACCOUNT_SID"),
    key("twilio_auth_token", Provider::Twilio, KeyRole::AuthToken, "TWILIO_AUTH_TOKEN"),
    key(TWILIO_SHARED_KEY, Provider::Twilio, KeyRole::SharedKey, "TWILIO_WEBHOOK_SHARED_KEY"),
    key("elevenlabs_api_key", Provider::ElevenLabs, KeyRole::ApiKey, "ELEVENLABS_API_KEY"),
    key("elevenlabs_webhook_secret", Provider::ElevenLabs, KeyRole::WebhookSecret, "ELEVENLABS_WEBHOOK_SECRET"),
    key("deepgram_api_key", Provider::Deepgram, KeyRole::ApiKey, "DEEPGRAM_API_KEY"),
    key("anthropic_api_key", Provider::Anthropic, KeyRole::ApiKey, "ANTHROPIC_API_KEY"),
    key("ultravox_api_key", Provider::Ultravox, KeyRole::ApiKey, "ULTRAVOX_API_KEY"),
    key("ultravox_webhook_secret", Provider::Ultravox, KeyRole::WebhookSecret, "ULTRAVOX_WEBHOOK_SECRET"),
    key("vapi_api_key", Provider::Vapi, KeyRole::ApiKey, "VAPI_API_KEY"),
    key("vapi_webhook_secret", Provider::Vapi, KeyRole::WebhookSecret, "VAPI_WEBHOOK_SECRET"),
];

const fn key(id: &'static str, provider: Provider, role: KeyRole, env: &'static str) -> KeySpec {
    KeySpec { id, provider, role, env }
}

/// The id of the key `provider` uses as `role`, when it has one.
pub fn key_id(provider: Provider, role: KeyRole) -> Option<&'static str> {
    KEYS.iter().find(|spec| spec.provider == provider && spec.role == role).map(|spec| spec.id)
}

/// The id of the key `provider`'s webhooks are verified with: Twilio's auth token, the others'
/// webhook secret.
pub fn webhook_key_id(provider: Provider) -> Option<&'static str> {
    let role = if provider == Provider::Twilio { KeyRole::AuthToken } else { KeyRole::WebhookSecret };
    key_id(provider, role)
}

/// Where a key's value comes from, as Settings shows it (never the value itself).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub id: String,
    pub label: String,
    pub provider: String,
    /// "keychain", "environment", or `null` when not set.
    pub source: Option<String>,
    /// The environment variable that would override it.
    pub env: String,
}

/// Every key's status, and why the keychain could not be read, if it could not (keys can
/// still come from the environment then).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeysView {
    pub keys: Vec<KeyStatus>,
    pub keychain_problem: Option<String>,
}

/// The keychain could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("{0:?} is not a key Switchboard knows")]
    UnknownKey(String),
    #[error("the key is empty")]
    Empty,
    /// The keychain refused or is missing; the message never includes the value.
    #[error("the OS keychain could not {action} {key}: {reason}")]
    Keychain { action: &'static str, key: &'static str, reason: String },
}

/// The keys of this computer's keychain.
pub struct Keychain {
    service: String,
    /// Whether keys not in the environment are read from the OS keychain.
    os_keychain: bool,
}

impl Default for Keychain {
    fn default() -> Self {
        Self { service: SERVICE.to_owned(), os_keychain: true }
    }
}

impl Keychain {
    /// Keys from the environment only, never the OS keychain (a headless run's `--no-keychain`).
    pub fn environment_only() -> Self {
        Self { os_keychain: false, ..Self::default() }
    }

    /// A keychain filing entries under another service name (tests use their own).
    #[cfg(test)]
    pub(crate) fn for_service(service: &str) -> Self {
        Self { service: service.to_owned(), os_keychain: true }
    }

    /// Stores `value` as key `id`, replacing what was there.
    pub fn set(&self, id: &str, value: &Secret) -> Result<(), KeychainError> {
        let spec = spec(id)?;
        let value = value.expose().trim();
        if value.is_empty() {
            return Err(KeychainError::Empty);
        }
        self.entry(spec, "store")?.set_password(value).map_err(|err| failure("store", spec, err))?;
        tracing::info!(key = spec.id, "key stored in the OS keychain");
        Ok(())
    }

    /// Removes key `id` from the keychain (nothing to remove is fine).
    pub fn delete(&self, id: &str) -> Result<(), KeychainError> {
        let spec = spec(id)?;
        match self.entry(spec, "delete")?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(failure("delete", spec, err)),
        }
    }

    /// Key `id`: from the environment when set there, else from the keychain.
    pub fn get(&self, id: &str) -> Result<Option<Secret>, KeychainError> {
        let spec = spec(id)?;
        if let Some(value) = from_env(spec) {
            return Ok(Some(value));
        }
        if !self.os_keychain {
            return Ok(None);
        }
        match self.entry(spec, "read")?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(failure("read", spec, err)),
        }
    }

    /// Every key and where its value comes from. A keychain that cannot be read is reported
    /// once, beside the keys (those set in the environment still show).
    pub fn status(&self) -> KeysView {
        let mut keychain_problem = None;
        let keys = KEYS
            .iter()
            .map(|spec| {
                let source = if from_env(spec).is_some() {
                    Some("environment")
                } else if keychain_problem.is_some() {
                    None
                } else {
                    match self.get(spec.id) {
                        Ok(value) => value.map(|_| "keychain"),
                        Err(err) => {
                            keychain_problem = Some(err.to_string());
                            None
                        }
                    }
                };
                KeyStatus {
                    id: spec.id.to_owned(),
                    label: spec.role.label().to_owned(),
                    provider: spec.provider.to_string(),
                    source: source.map(str::to_owned),
                    env: spec.env.to_owned(),
                }
            })
            .collect();
        KeysView { keys, keychain_problem }
    }

    /// Keeps the bearer token of `account` (`name@https://server`) on a team server.
    pub fn set_team_token(&self, account: &str, token: &Secret) -> Result<(), KeychainError> {
        self.team_entry(account, "store")?.set_password(token.expose()).map_err(|err| team_failure("store", err))
    }

    /// The bearer token kept for `account`, if any.
    pub fn team_token(&self, account: &str) -> Result<Option<Secret>, KeychainError> {
        match self.team_entry(account, "read")?.get_password() {
            Ok(token) => Ok(Some(Secret::new(token))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(team_failure("read", err)),
        }
    }

    /// Forgets the token kept for `account` (nothing to forget is fine).
    pub fn delete_team_token(&self, account: &str) -> Result<(), KeychainError> {
        match self.team_entry(account, "delete")?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(team_failure("delete", err)),
        }
    }

    fn team_entry(&self, account: &str, action: &'static str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, &format!("team:{account}")).map_err(|err| team_failure(action, err))
    }

    fn entry(&self, spec: &'static KeySpec, action: &'static str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, spec.id).map_err(|err| failure(action, spec, err))
    }
}

fn spec(id: &str) -> Result<&'static KeySpec, KeychainError> {
    KEYS.iter().find(|spec| spec.id == id).ok_or_else(|| KeychainError::UnknownKey(id.to_owned()))
}

fn team_failure(action: &'static str, err: keyring::Error) -> KeychainError {
    KeychainError::Keychain { action, key: "the team server token", reason: err.to_string() }
}

fn from_env(spec: &KeySpec) -> Option<Secret> {
    std::env::var(spec.env).ok().filter(|value| !value.trim().is_empty()).map(Secret::new)
}

fn failure(action: &'static str, spec: &'static KeySpec, err: keyring::Error) -> KeychainError {
    // keyring's errors describe the store, not the secret; they never carry the value.
    KeychainError::Keychain { action, key: spec.id, reason: err.to_string() }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Against a real Secret Service: gnome-keyring on the D-Bus session bus that `make test`
    //! runs the tests in, started once for the whole run by `scripts/with-secret-service.sh`.

    use std::process::Command;

    use super::*;

    /// Checks that the tests' Secret Service is on the session bus (and does not start one: a
    /// second daemon would replace the one other tests are using).
    pub(crate) fn secret_service() {
        let owner = Command::new("dbus-send")
            .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"])
            .args(["org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
            .output()
            .expect("dbus-send could not run: is it installed? (`make test` installs it)");
        assert!(
            String::from_utf8_lossy(&owner.stdout).contains("boolean true"),
            "the keychain tests need a Secret Service on a D-Bus session: run them through `make test` \
             (dbus-run-session -- scripts/with-secret-service.sh cargo nextest run ...)"
        );
    }

    #[test]
    fn keys_are_stored_read_replaced_and_deleted_in_the_secret_service() {
        secret_service();
        let keychain = Keychain::for_service("app.switchboard.console.test");
        let id = "deepgram_api_key";
        keychain.delete(id).unwrap();
        assert!(keychain.get(id).unwrap().is_none());
        keychain.set(id, &Secret::new("dg-first-0001".to_owned())).unwrap();
        assert_eq!(keychain.get(id).unwrap().unwrap().expose(), "dg-first-0001");
        keychain.set(id, &Secret::new("  dg-second-0002\n".to_owned())).unwrap();
        assert_eq!(keychain.get(id).unwrap().unwrap().expose(), "dg-second-0002", "replaced, trimmed");
        // A second handle (another run of the app) reads the same entry.
        assert!(Keychain::for_service("app.switchboard.console.test").get(id).unwrap().is_some());
        let status = keychain.status();
        assert_eq!(status.keychain_problem, None);
        let deepgram = status.keys.iter().find(|s| s.id == id).unwrap();
        assert_eq!(deepgram.source.as_deref(), Some("keychain"));
        assert!(!format!("{status:?}").contains("dg-second"), "the status never carries the value");
        keychain.delete(id).unwrap();
        assert!(keychain.get(id).unwrap().is_none());
        assert!(matches!(keychain.set(id, &Secret::new("  ".to_owned())), Err(KeychainError::Empty)));
        assert!(matches!(keychain.set("nope", &Secret::new("x".to_owned())), Err(KeychainError::UnknownKey(_))));
    }
}
