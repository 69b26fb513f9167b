//! Team accounts, their sessions and the audit log (a team server's; the console has none).

use crate::db::{Row, params};
use switchboard_core::UnixMillis;

use crate::{Result, Store};

/// An account that signs in to a team server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamUser {
    pub id: i64,
    pub name: String,
    /// `viewer`, `dispatcher` or `admin`.
    pub role: String,
    /// The password as an argon2 PHC string.
    pub password_hash: String,
}

impl Store {
    /// Adds an account, or gives an existing one of that name a new role and password.
    pub fn put_team_user(&self, name: &str, role: &str, password_hash: &str, now: UnixMillis) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO team_users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash",
            params![name, role, password_hash, now.0],
        )?;
        Ok(())
    }

    /// The account called `name`.
    pub fn team_user(&self, name: &str) -> Result<Option<TeamUser>> {
        self.conn()?.query_opt(
            "SELECT id, name, role, password_hash FROM team_users WHERE name = ?1",
            params![name],
            team_user_row,
        )
    }

    /// Keeps a session: the hash of its token, whose it is, until when it holds.
    pub fn add_team_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO team_sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user_id, now.0, expires_at.0],
        )?;
        Ok(())
    }

    /// The account whose session has the token hashed `token_hash`, while it holds at `now`.
    pub fn team_session_user(&self, token_hash: &str, now: UnixMillis) -> Result<Option<TeamUser>> {
        self.conn()?.query_opt(
            "SELECT u.id, u.name, u.role, u.password_hash FROM team_sessions s
                 JOIN team_users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            params![token_hash, now.0],
            team_user_row,
        )
    }

    /// The own phone (E.164) of the account called `name`, if it set one.
    pub fn team_user_phone(&self, name: &str) -> Result<Option<String>> {
        let phone =
            self.conn()?.query_opt("SELECT phone FROM team_users WHERE name = ?1", params![name], |row| row.get(0))?;
        Ok(phone.flatten())
    }

    /// Sets (or with none, clears) the own phone of the account called `name`.
    pub fn set_team_user_phone(&self, name: &str, phone: Option<&str>) -> Result<()> {
        self.conn()?.execute("UPDATE team_users SET phone = ?2 WHERE name = ?1", params![name, phone])?;
        Ok(())
    }

    /// Records that `user_name` called `operation`, and how it went.
    pub fn add_audit(&self, at: UnixMillis, user_name: &str, operation: &str, outcome: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO audit_log (at, user_name, operation, outcome) VALUES (?1, ?2, ?3, ?4)",
            params![at.0, user_name, operation, outcome],
        )?;
        Ok(())
    }
}

fn team_user_row(row: &Row<'_>) -> Result<TeamUser> {
    Ok(TeamUser { id: row.get(0)?, name: row.get(1)?, role: row.get(2)?, password_hash: row.get(3)? })
}
