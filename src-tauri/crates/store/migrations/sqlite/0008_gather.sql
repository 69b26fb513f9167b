-- Version 8: Twilio speech-gather sessions. The engine holds a gather call's conversation (the
-- agent's voice and language, its rendered prompt, the turns, the fields still to collect, the
-- no-input count) and writes it here at every turn, so a restart mid-call loses nothing: the
-- next request from Twilio finds the session and carries on. `version` rises with each write; a
-- write based on an older version is refused.

CREATE TABLE gather_sessions (
    call_id    INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    -- Twilio's CallSid, bound at the first request Twilio makes for the call.
    call_sid   TEXT,
    version    INTEGER NOT NULL,
    -- The session as JSON (the engine's `gather::Session`).
    state      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX gather_sessions_by_sid ON gather_sessions(call_sid) WHERE call_sid IS NOT NULL;
