-- Switchboard schema, version 1: agents, contacts, calls with transcripts, collected fields, offers.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE agents (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    backend    TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    -- The whole AgentConfig as JSON (prompt, first message, fields, limits).
    config     TEXT NOT NULL CHECK (json_valid(config)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('vendor', 'driver')),
    name       TEXT NOT NULL,
    -- As entered; normalised to E.164 when dialled.
    phone      TEXT NOT NULL,
    -- Kind-specific details as JSON (VendorDetails).
    details    TEXT NOT NULL CHECK (json_valid(details)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    contact_id       INTEGER NOT NULL REFERENCES contacts(id),
    agent_id         INTEGER NOT NULL REFERENCES agents(id),
    backend          TEXT NOT NULL,
    phone_e164       TEXT NOT NULL,
    state            TEXT NOT NULL,
    end_reason       TEXT,
    provider_call_id TEXT,
    created_at       INTEGER NOT NULL,
    answered_at      INTEGER,
    ended_at         INTEGER,
    CHECK ((state IN ('queued', 'dialing', 'ringing', 'in-progress')) = (ended_at IS NULL))
) STRICT;
CREATE INDEX calls_by_contact ON calls(contact_id);
CREATE INDEX calls_open ON calls(state) WHERE ended_at IS NULL;

CREATE TABLE transcript_lines (
    call_id   INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    speaker   TEXT NOT NULL CHECK (speaker IN ('agent', 'callee')),
    text      TEXT NOT NULL,
    offset_ms INTEGER NOT NULL,
    PRIMARY KEY (call_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE collected_fields (
    call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (call_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE offers (
    call_id        INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    contact_id     INTEGER NOT NULL REFERENCES contacts(id),
    unit_price     REAL,
    moq            INTEGER,
    lead_time_days INTEGER,
    shipping       TEXT,
    terms          TEXT,
    confidence     REAL NOT NULL
) STRICT;
CREATE INDEX offers_by_contact ON offers(contact_id);
