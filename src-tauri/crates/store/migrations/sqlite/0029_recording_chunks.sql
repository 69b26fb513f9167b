-- A recording's bytes in the shared database (Postgres's migration 6): its row says where they
-- are, whole in `recording_chunks` (`in_database` = 1) or in a file in the recordings directory
-- of node `held_by` (NULL: this profile's own). On SQLite one process keeps every recording as a
-- file: the columns stay 0 and NULL and the table stays empty; both are here so that both
-- schemas hold the same tables and one query reads either.
ALTER TABLE recordings ADD COLUMN in_database INTEGER NOT NULL DEFAULT 0 CHECK (in_database IN (0, 1));
ALTER TABLE recordings ADD COLUMN held_by INTEGER REFERENCES nodes(id);
CREATE INDEX recordings_pending ON recordings(held_by) WHERE in_database = 0 AND held_by IS NOT NULL;

CREATE TABLE recording_chunks (
    call_id INTEGER NOT NULL REFERENCES recordings(call_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    bytes   BLOB NOT NULL,
    PRIMARY KEY (call_id, seq)
) WITHOUT ROWID;
