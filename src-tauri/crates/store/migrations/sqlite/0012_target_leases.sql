-- Version 12: campaign targets are leased to the process that reserved them (owner + expiry,
-- renewed while its runner lives), so no other process dials a target a live one holds; a
-- canceled campaign's targets that were never called say so ('canceled'); a cancel may ask
-- the process running the campaign to end its calls on the line (`end_calls`).

CREATE TABLE campaign_targets_v12 (
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    round            INTEGER NOT NULL,
    contact_id       INTEGER NOT NULL REFERENCES contacts(id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'calling', 'done', 'skipped', 'canceled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt may start (ms since the epoch); NULL means now.
    next_attempt_at  INTEGER,
    call_id          INTEGER REFERENCES calls(id),
    -- How the target ended, in words (outcome or why it was skipped).
    outcome          TEXT,
    -- Extra template variables for this target (round-2 negotiation context).
    variables        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables)),
    -- The process that reserved the target, and until when its lease holds (ms since the epoch).
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    PRIMARY KEY (campaign_id, round, contact_id)
) STRICT;

INSERT INTO campaign_targets_v12
    (campaign_id, round, contact_id, status, attempts, next_attempt_at, call_id, outcome, variables)
SELECT campaign_id, round, contact_id, status, attempts, next_attempt_at, call_id, outcome, variables
FROM campaign_targets;

DROP TABLE campaign_targets;
ALTER TABLE campaign_targets_v12 RENAME TO campaign_targets;
CREATE INDEX campaign_targets_open ON campaign_targets(campaign_id, round, status);
CREATE INDEX campaign_targets_by_call ON campaign_targets(call_id) WHERE call_id IS NOT NULL;

ALTER TABLE campaigns ADD COLUMN end_calls INTEGER NOT NULL DEFAULT 0 CHECK (end_calls IN (0, 1));
