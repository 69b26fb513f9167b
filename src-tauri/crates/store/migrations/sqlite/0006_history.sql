-- Version 6: what History shows beyond a call's summary (cost, provider ids, the provider's raw
-- record, recordings, per-turn latency), indexes for its filters, and the numbers that stay
-- suppressed after a do-not-call contact is forgotten.

ALTER TABLE calls ADD COLUMN cost_amount REAL;
ALTER TABLE calls ADD COLUMN cost_currency TEXT;
-- Provider ids by name ("Twilio call SID" → "CA…"), as a JSON object.
ALTER TABLE calls ADD COLUMN provider_refs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(provider_refs));
-- The provider's own record of the call (post-call webhook, end-of-call report), as received.
ALTER TABLE calls ADD COLUMN provider_record TEXT;

CREATE INDEX calls_by_agent ON calls(agent_id);
CREATE INDEX calls_by_created ON calls(created_at);
CREATE INDEX calls_by_state ON calls(state);

CREATE TABLE recordings (
    call_id     INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    -- File name inside the recordings directory.
    file        TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Set when retention deleted the file.
    deleted_at  INTEGER
) STRICT;
CREATE INDEX recordings_kept ON recordings(created_at) WHERE deleted_at IS NULL;

CREATE TABLE turn_latencies (
    call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    turn    INTEGER NOT NULL,
    stt_ms  INTEGER NOT NULL,
    llm_ms  INTEGER NOT NULL,
    tts_ms  INTEGER NOT NULL,
    send_ms INTEGER NOT NULL,
    PRIMARY KEY (call_id, turn)
) STRICT, WITHOUT ROWID;

-- Numbers never to call again, kept when the contact who asked is forgotten.
CREATE TABLE suppressed_numbers (
    phone_e164 TEXT PRIMARY KEY,
    added_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO suppressed_numbers (phone_e164, added_at)
    SELECT phone_e164, COALESCE(updated_at, created_at) FROM contacts WHERE do_not_call = 1 AND phone_e164 IS NOT NULL;

-- A contact marked do-not-call suppresses its number; a contact given a suppressed number
-- (new, or renumbered) is do-not-call at once; clearing the flag on purpose lifts it.
CREATE TRIGGER contacts_suppress_number AFTER UPDATE OF do_not_call, phone_e164 ON contacts
WHEN new.do_not_call = 1 AND new.phone_e164 IS NOT NULL BEGIN
    INSERT OR IGNORE INTO suppressed_numbers (phone_e164, added_at) VALUES (new.phone_e164, COALESCE(new.updated_at, new.created_at));
END;

CREATE TRIGGER contacts_lift_suppression AFTER UPDATE OF do_not_call ON contacts
WHEN old.do_not_call = 1 AND new.do_not_call = 0 BEGIN
    DELETE FROM suppressed_numbers WHERE phone_e164 = new.phone_e164;
END;

CREATE TRIGGER contacts_new_number_suppressed AFTER INSERT ON contacts WHEN new.phone_e164 IS NOT NULL BEGIN
    INSERT OR IGNORE INTO suppressed_numbers (phone_e164, added_at)
        SELECT new.phone_e164, new.created_at WHERE new.do_not_call = 1;
    UPDATE contacts SET do_not_call = 1
        WHERE id = new.id AND do_not_call = 0 AND EXISTS (SELECT 1 FROM suppressed_numbers WHERE phone_e164 = new.phone_e164);
END;

CREATE TRIGGER contacts_renumbered_suppressed AFTER UPDATE OF phone_e164 ON contacts
WHEN new.phone_e164 IS NOT old.phone_e164 AND new.do_not_call = 0 BEGIN
    UPDATE contacts SET do_not_call = 1
        WHERE id = new.id AND EXISTS (SELECT 1 FROM suppressed_numbers WHERE phone_e164 = new.phone_e164);
END;
