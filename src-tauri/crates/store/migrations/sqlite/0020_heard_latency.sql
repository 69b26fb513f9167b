-- Version 20: what the callee heard on each call the engine voiced itself, read from its
-- two-track recording (the agent's first words after the answer; its replies after the callee
-- stopped: count, median, worst); deleting a call deletes its row.

CREATE TABLE call_heard_latency (
    call_id         INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    first_words_ms  INTEGER,
    replies         INTEGER NOT NULL,
    reply_median_ms INTEGER,
    reply_worst_ms  INTEGER
) STRICT;
