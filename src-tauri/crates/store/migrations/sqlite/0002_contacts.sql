-- Version 2: contacts gain their normalised phone, tags, time zone, do-not-call flag and free
-- fields; details carry their kind (vendor or driver). A settings table appears.

ALTER TABLE contacts ADD COLUMN phone_e164 TEXT;
ALTER TABLE contacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags));
ALTER TABLE contacts ADD COLUMN time_zone TEXT;
ALTER TABLE contacts ADD COLUMN do_not_call INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN custom TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom));
ALTER TABLE contacts ADD COLUMN updated_at INTEGER;
UPDATE contacts SET details = json_set(details, '$.kind', kind);
CREATE INDEX contacts_by_phone ON contacts(phone_e164);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
