-- Version 17: the driver review queue. Which callee line gave each collected value (the line
-- the dispatcher opens a driver's call at), and the dispatcher's resolution of each driver a
-- batch flagged: a note and when it was resolved.

ALTER TABLE collected_fields ADD COLUMN line_seq INTEGER;

CREATE TABLE driver_reviews (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    note        TEXT NOT NULL,
    resolved_at INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, contact_id)
) STRICT, WITHOUT ROWID;
