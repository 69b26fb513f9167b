-- Version 11: how well the agent's audio kept time on each call the engine voiced itself
-- (frames sent, frames sent late, the longest gap), so History can show a call whose audio
-- came late; deleting a call deletes its row.

CREATE TABLE call_audio_pacing (
    call_id      INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    frames       INTEGER NOT NULL,
    late         INTEGER NOT NULL,
    worst_gap_ms INTEGER NOT NULL
) STRICT;
