-- Version 14: a contact's phone extension ("(415) 230-0134 x12" → 12) is kept beside its E.164
-- number, to be keyed in once a call connects; existing numbers are read again for theirs.

ALTER TABLE contacts ADD COLUMN phone_extension TEXT;
