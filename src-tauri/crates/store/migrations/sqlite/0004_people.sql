-- Version 4: a third kind of contact, "person" (anyone called with an action and context, as
-- in a one-off call). The kind column is swapped for one whose CHECK allows it; each row's
-- kind is read back from its details, which carry it since version 2.

ALTER TABLE contacts DROP COLUMN kind;
ALTER TABLE contacts ADD COLUMN kind TEXT NOT NULL DEFAULT 'vendor' CHECK (kind IN ('vendor', 'driver', 'person'));
UPDATE contacts SET kind = json_extract(details, '$.kind');
