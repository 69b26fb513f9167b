-- Version 10: every provider ref of a call (the values of `calls.provider_refs`) in a table keyed
-- by the ref, so a webhook naming a call by any of its providers' ids (an Ultravox call id, a
-- Twilio Call SID) finds it through an index instead of reading every call's refs. Triggers keep
-- it equal to the JSON; deleting a call deletes its refs.

CREATE TABLE call_provider_refs (
    ref     TEXT NOT NULL,
    call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    PRIMARY KEY (ref, call_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX call_provider_refs_by_call ON call_provider_refs(call_id);

INSERT OR IGNORE INTO call_provider_refs (ref, call_id)
    SELECT r.value, c.id FROM calls AS c, json_each(c.provider_refs) AS r WHERE r.type = 'text';

CREATE TRIGGER calls_provider_refs_added AFTER INSERT ON calls
BEGIN
    INSERT OR IGNORE INTO call_provider_refs (ref, call_id)
        SELECT r.value, NEW.id FROM json_each(NEW.provider_refs) AS r WHERE r.type = 'text';
END;

CREATE TRIGGER calls_provider_refs_kept AFTER UPDATE OF provider_refs ON calls
BEGIN
    DELETE FROM call_provider_refs WHERE call_id = NEW.id;
    INSERT OR IGNORE INTO call_provider_refs (ref, call_id)
        SELECT r.value, NEW.id FROM json_each(NEW.provider_refs) AS r WHERE r.type = 'text';
END;
