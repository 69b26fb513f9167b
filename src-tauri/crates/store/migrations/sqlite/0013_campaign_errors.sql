-- Version 13: a campaign that cannot go on stops in the 'error' state with the reason stored
-- (shown in the console and the CLI) instead of retrying silently forever. The status column
-- is swapped for one whose CHECK allows it, keeping each row's value.

ALTER TABLE campaigns RENAME COLUMN status TO status_before_13;
ALTER TABLE campaigns ADD COLUMN status TEXT NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'paused', 'completed', 'canceled', 'error'));
UPDATE campaigns SET status = status_before_13;
ALTER TABLE campaigns DROP COLUMN status_before_13;
-- Why the campaign stopped in 'error'; NULL otherwise.
ALTER TABLE campaigns ADD COLUMN status_reason TEXT;
