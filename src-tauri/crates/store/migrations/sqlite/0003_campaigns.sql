-- Version 3: campaigns (rounds of calls to many contacts) and their targets; calls know the
-- campaign, round and attempt they belong to.

CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('vendor-quote', 'driver-violation')),
    status     TEXT NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'canceled')),
    -- The round in progress; moves forward only by compare-and-swap.
    round      INTEGER NOT NULL DEFAULT 1,
    -- The CampaignSpec as JSON: agents, limits, retries.
    spec       TEXT NOT NULL CHECK (json_valid(spec)),
    summary    TEXT CHECK (summary IS NULL OR json_valid(summary)),
    created_at INTEGER NOT NULL,
    ended_at   INTEGER
) STRICT;

CREATE TABLE campaign_targets (
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    round           INTEGER NOT NULL,
    contact_id      INTEGER NOT NULL REFERENCES contacts(id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'calling', 'done', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt may start (ms since the epoch); NULL means now.
    next_attempt_at INTEGER,
    call_id         INTEGER REFERENCES calls(id),
    -- How the target ended, in words (outcome or why it was skipped).
    outcome         TEXT,
    -- Extra template variables for this target (round-2 negotiation context).
    variables       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables)),
    PRIMARY KEY (campaign_id, round, contact_id)
) STRICT;
CREATE INDEX campaign_targets_open ON campaign_targets(campaign_id, round, status);

ALTER TABLE calls ADD COLUMN campaign_id INTEGER REFERENCES campaigns(id);
ALTER TABLE calls ADD COLUMN round INTEGER;
ALTER TABLE calls ADD COLUMN attempt INTEGER;
CREATE INDEX calls_by_campaign ON calls(campaign_id);
