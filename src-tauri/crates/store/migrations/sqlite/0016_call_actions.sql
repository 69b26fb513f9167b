-- Version 16: what the dispatcher did to calls on the line (ended, took over, steered, had the
-- agent say a line), kept with the call for its timeline and History. A row written `pending`
-- by another process (the command line) is the request the process running the call takes up;
-- deleting a call deletes its rows.

CREATE TABLE call_actions (
    id           INTEGER PRIMARY KEY,
    call_id      INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    text         TEXT NOT NULL,
    status       TEXT NOT NULL,
    result       TEXT,
    requested_at INTEGER NOT NULL,
    done_at      INTEGER
) STRICT;

CREATE INDEX call_actions_by_call ON call_actions (call_id, id);
CREATE INDEX call_actions_pending ON call_actions (status) WHERE status = 'pending';
