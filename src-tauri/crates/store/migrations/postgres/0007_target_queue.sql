-- SQLite's migration 30.
-- A campaign step reads a round's targets by status in contact order (its queue of pending
-- targets, its calls on the line) and its next retry time, through these indexes alone.
DROP INDEX campaign_targets_open;
CREATE INDEX campaign_targets_queue ON campaign_targets(campaign_id, round, status, contact_id);
CREATE INDEX campaign_targets_retries ON campaign_targets(campaign_id, round, status, next_attempt_at);
