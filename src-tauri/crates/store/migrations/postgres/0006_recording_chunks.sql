-- SQLite's migration 29.
-- A recording's bytes in the shared database, so that any node serves a call another node ran,
-- and a node that dies takes none with it. Its row says where its bytes are: whole in
-- `recording_chunks` (`in_database` = 1, set in the transaction that wrote the last chunk), or
-- in a file in the recordings directory of node `held_by` (NULL: the directory of this
-- database's one process) until that node uploads it.
--
-- Chunked rows rather than large objects: rows go with their recording (a cascade, one
-- transaction with the flag), need no unlink nor vacuumlo for orphans, and a chunk read is an
-- ordinary indexed SELECT on any pooled connection; 256 KiB a chunk keeps a read's memory small.
ALTER TABLE recordings ADD COLUMN in_database BIGINT NOT NULL DEFAULT 0 CHECK (in_database IN (0, 1));
ALTER TABLE recordings ADD COLUMN held_by BIGINT REFERENCES nodes(id);
CREATE INDEX recordings_pending ON recordings(held_by) WHERE in_database = 0 AND held_by IS NOT NULL;

CREATE TABLE recording_chunks (
    call_id BIGINT NOT NULL REFERENCES recordings(call_id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    bytes   BYTEA NOT NULL,
    PRIMARY KEY (call_id, seq)
);
-- Audio barely compresses: stored out of line without trying.
ALTER TABLE recording_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
