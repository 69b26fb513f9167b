//! Accounts and sessions: passwords hashed with argon2, bearer tokens random and kept only as
//! SHA-256 hashes with an expiry, and the audit log's rows.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use switchboard_core::UnixMillis;
use switchboard_engine::{ErrorCode, now};
use switchboard_store::{Store, StoreError};

use crate::dto::CommandError;
use crate::operations::Role;

/// How long a session holds.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// A signed-in account, as a request is made on its behalf.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub role: Role,
}

/// What signing in gives: the bearer token (shown once), until when it holds, and the role.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub token: String,
    pub expires_at: UnixMillis,
    pub name: String,
    pub role: Role,
}

/// Adds the account `name` (or gives it a new role and password).
pub fn add_user(store: &Store, name: &str, role: Role, password: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.trim() != name {
        return Err(format!("{name:?} is not an account name: give one without spaces around it"));
    }
    if password.chars().count() < 8 {
        return Err("the password is too short: give at least 8 characters".to_owned());
    }
    let hash = hash_password(password)?;
    store.put_team_user(name, role.as_str(), &hash, now()).map_err(|err| err.to_string())
}

/// `password` hashed with argon2 and a random salt, in PHC form.
fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|err| format!("no randomness for a salt: {err}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|err| format!("the salt could not be written: {err}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|err| format!("the password could not be hashed: {err}"))?
        .to_string())
}

/// The hash of no account's password (a random one), checked when a name is unknown: an unknown
/// name then takes as long to refuse as a wrong password, so the answer's time does not tell
/// which names have accounts.
fn decoy_hash() -> Result<&'static str, CommandError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash);
    }
    let hash = hash_password(&new_token()?).map_err(|err| CommandError::new(ErrorCode::Storage, err))?;
    Ok(DECOY.get_or_init(|| hash))
}

/// Signs `name` in with `password`: a new session, or `Unauthorized` (the same for an unknown
/// name as for a wrong password).
pub fn sign_in(store: &Store, name: &str, password: &str) -> Result<Session, CommandError> {
    let refused = || CommandError::new(ErrorCode::Unauthorized, "the name or the password is wrong");
    let user = store.team_user(name).map_err(CommandError::from)?;
    let hash = match &user {
        Some(user) => user.password_hash.as_str(),
        None => decoy_hash()?,
    };
    let hash = PasswordHash::new(hash)
        .map_err(|err| CommandError::new(ErrorCode::Storage, format!("{name}'s password hash is unreadable: {err}")))?;
    let verified = Argon2::default().verify_password(password.as_bytes(), &hash).is_ok();
    let user = user.filter(|_| verified).ok_or_else(refused)?;
    let role = role_of(&user.role)?;
    let token = new_token()?;
    let issued = now();
    let expires_at = UnixMillis(issued.0 + SESSION_LIFETIME.as_millis() as i64);
    store.add_team_session(&token_hash(&token), user.id, issued, expires_at).map_err(CommandError::from)?;
    Ok(Session { token, expires_at, name: user.name, role })
}

/// The account a bearer token signs in, while its session holds.
pub fn member(store: &Store, token: &str) -> Result<Member, CommandError> {
    let user = store.team_session_user(&token_hash(token), now()).map_err(CommandError::from)?.ok_or_else(|| {
        CommandError::new(ErrorCode::Unauthorized, "the session is unknown or has expired: sign in again")
    })?;
    Ok(Member { role: role_of(&user.role)?, name: user.name })
}

/// Records a call of `operation` and how it went; a failure to record is logged, not fatal.
pub fn audit(store: &Store, who: &str, operation: &str, outcome: Result<(), ErrorCode>) {
    let outcome = match outcome {
        Ok(()) => "ok".to_owned(),
        Err(code) => serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
    };
    if let Err(err) = store.add_audit(now(), who, operation, &outcome) {
        tracing::error!(error = %err, operation, "could not write the audit log");
    }
}

fn role_of(text: &str) -> Result<Role, CommandError> {
    Role::parse(text).ok_or_else(|| CommandError::from(StoreError::Corrupt(format!("{text:?} is not a role"))))
}

/// 32 random bytes, hex.
fn new_token() -> Result<String, CommandError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| CommandError::new(ErrorCode::Storage, format!("no randomness for a token: {err}")))?;
    Ok(hex::encode(bytes))
}

/// What is kept of a token: its SHA-256, hex (a token is random, so a fast hash suffices).
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// The median time `sign_in` takes to refuse `name` with a wrong password.
    fn refusal_time(store: &Store, name: &str) -> Duration {
        let mut times: Vec<Duration> = (0..3)
            .map(|_| {
                let started = Instant::now();
                assert!(sign_in(store, name, "not the password").is_err());
                started.elapsed()
            })
            .collect();
        times.sort();
        times[1]
    }

    #[test]
    fn an_unknown_name_is_refused_as_slowly_as_a_wrong_password() {
        let store = Store::open_in_memory().unwrap();
        add_user(&store, "ana", Role::Dispatcher, "correct horse").unwrap();
        let _ = decoy_hash().unwrap();
        let (known, unknown) = (refusal_time(&store, "ana"), refusal_time(&store, "nobody"));
        // Both check an argon2 hash (tens of milliseconds); a lookup alone takes microseconds.
        assert!(unknown * 4 >= known, "an unknown name took {unknown:?}, a wrong password {known:?}");
    }

    #[test]
    fn a_session_signs_in_its_account_until_it_expires_and_nothing_else_does() {
        let store = Store::open_in_memory().unwrap();
        add_user(&store, "ana", Role::Dispatcher, "correct horse").unwrap();
        assert!(add_user(&store, "bo", Role::Viewer, "short").unwrap_err().contains("at least 8"));
        let wrong = sign_in(&store, "ana", "wrong horse").unwrap_err();
        assert_eq!(wrong.code, ErrorCode::Unauthorized);
        assert_eq!(sign_in(&store, "nobody", "correct horse").unwrap_err().message, wrong.message);

        let session = sign_in(&store, "ana", "correct horse").unwrap();
        assert_eq!((session.role, session.token.len()), (Role::Dispatcher, 64));
        let signed_in = member(&store, &session.token).unwrap();
        assert_eq!((signed_in.name.as_str(), signed_in.role), ("ana", Role::Dispatcher));
        assert_eq!(member(&store, &new_token().unwrap()).unwrap_err().code, ErrorCode::Unauthorized);
        assert!(
            store.team_session_user(&token_hash(&session.token), session.expires_at).unwrap().is_none(),
            "a session no longer holds at its expiry"
        );
    }
}
