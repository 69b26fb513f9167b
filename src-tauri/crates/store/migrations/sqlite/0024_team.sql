-- Team mode: the accounts that sign in to a team server, their sessions (tokens kept only as
-- hashes, with an expiry), and the audit log of every operation they call (never its arguments).

CREATE TABLE team_users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'dispatcher', 'admin')),
    -- The password as an argon2 PHC string (salt and parameters included).
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE team_sessions (
    -- SHA-256 of the bearer token, hex.
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES team_users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    -- Who: the account's name, or what was presented when no account was found.
    user_name TEXT NOT NULL,
    operation TEXT NOT NULL,
    -- `ok`, or the error code the caller got (`unauthorized`, `forbidden`, `invalidInput`, ...).
    outcome   TEXT NOT NULL
) STRICT;
