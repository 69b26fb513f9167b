-- The `serve` nodes that share one database (a team's Postgres; on SQLite the table stays
-- empty). A node registers at start, beats its heart with its load, and ends when it leaves or
-- another node finds its heartbeat stopped. Ids are never reused: a node's id is its fencing
-- token, refused on every write about its calls and leases once the node has ended.
CREATE TABLE nodes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    calls        INTEGER NOT NULL DEFAULT 0,
    max_calls    INTEGER NOT NULL,
    draining     INTEGER NOT NULL DEFAULT 0 CHECK (draining IN (0, 1)),
    ended_at     INTEGER,
    end_reason   TEXT
);
CREATE INDEX nodes_alive ON nodes(heartbeat_at) WHERE ended_at IS NULL;

-- The node that runs each call (NULL: a single-process profile's, or a call made before).
ALTER TABLE calls ADD COLUMN node_id INTEGER REFERENCES nodes(id);
CREATE INDEX calls_open_by_node ON calls(node_id) WHERE ended_at IS NULL;
