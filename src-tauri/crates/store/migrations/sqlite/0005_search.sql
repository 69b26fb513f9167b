-- Version 5: full-text search over every transcript line (FTS5). The index row id packs the
-- line's call and position (call_id * 2^20 + seq), so a deleted line leaves the index at once.

CREATE VIRTUAL TABLE transcript_search USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO transcript_search (rowid, text) SELECT call_id * 1048576 + seq, text FROM transcript_lines;

CREATE TRIGGER transcript_lines_indexed AFTER INSERT ON transcript_lines BEGIN
    INSERT INTO transcript_search (rowid, text) VALUES (new.call_id * 1048576 + new.seq, new.text);
END;

CREATE TRIGGER transcript_lines_unindexed AFTER DELETE ON transcript_lines BEGIN
    DELETE FROM transcript_search WHERE rowid = old.call_id * 1048576 + old.seq;
END;
