-- Version 21: turn latencies as running counts per latency bucket, so the Analytics section's
-- percentiles read two rows per bucket instead of every turn in the filter.
--
-- A turn's bucket is its whole latency (stt + llm + tts + send, ms) rounded down: to 10 ms under
-- 2 s, to 100 ms under 10 s, to 1 s beyond. A cell is a backend, bucket, agent and campaign
-- (0: none), taken from the turn's call when the turn is written (a call's placement, agent,
-- backend and campaign never change). turn_latency_running holds, per cell and UTC hour a call
-- with turns in that cell was placed in, how many of the cell's turns were placed in that hour
-- or before: the turns in hours [a, b) are the last count before b minus the last before a.
-- Triggers on turn_latencies and calls keep it equal to the turns; turn_latency_cells lists the
-- cells (a cell whose turns are all gone stays, counting 0).
DROP TRIGGER turn_totals_on_insert;
DROP TABLE turn_totals;

CREATE TABLE turn_latency_running (
    backend     TEXT NOT NULL,
    bucket_ms   INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    turns       INTEGER NOT NULL,
    PRIMARY KEY (backend, bucket_ms, agent_id, campaign_id, hour)
) STRICT, WITHOUT ROWID;

CREATE TABLE turn_latency_cells (
    backend     TEXT NOT NULL,
    bucket_ms   INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    PRIMARY KEY (backend, bucket_ms, agent_id, campaign_id)
) STRICT, WITHOUT ROWID;

-- Each turn's cell and hour (the same bucket expression as in the triggers below).
CREATE TEMP VIEW turn_cells AS
    SELECT c.backend, CASE WHEN t.total < 2000 THEN t.total / 10 * 10 WHEN t.total < 10000 THEN t.total / 100 * 100
                           ELSE t.total / 1000 * 1000 END AS bucket_ms,
           c.agent_id, COALESCE(c.campaign_id, 0) AS campaign_id, c.created_at / 3600000 AS hour
    FROM (SELECT call_id, stt_ms + llm_ms + tts_ms + send_ms AS total FROM turn_latencies) t
    JOIN calls c ON c.id = t.call_id;

INSERT INTO turn_latency_running
    SELECT backend, bucket_ms, agent_id, campaign_id, hour,
           SUM(COUNT(*)) OVER (PARTITION BY backend, bucket_ms, agent_id, campaign_id ORDER BY hour)
    FROM turn_cells GROUP BY 1, 2, 3, 4, 5;
INSERT INTO turn_latency_cells SELECT DISTINCT backend, bucket_ms, agent_id, campaign_id FROM turn_latency_running;
DROP VIEW turn_cells;

-- A turn written: its cell gets a row at its hour (carrying the count before it) if it has
-- none, and that row and every later one count it.
CREATE TRIGGER turn_latency_running_on_insert AFTER INSERT ON turn_latencies BEGIN
    INSERT OR IGNORE INTO turn_latency_cells
        SELECT backend, CASE WHEN total < 2000 THEN total / 10 * 10 WHEN total < 10000 THEN total / 100 * 100
                             ELSE total / 1000 * 1000 END, agent_id, COALESCE(campaign_id, 0)
        FROM calls, (SELECT new.stt_ms + new.llm_ms + new.tts_ms + new.send_ms AS total) WHERE id = new.call_id;
    INSERT OR IGNORE INTO turn_latency_running
        SELECT cell.backend, cell.bucket_ms, cell.agent_id, cell.campaign_id, cell.hour,
               COALESCE((SELECT turns FROM turn_latency_running r
                         WHERE r.backend = cell.backend AND r.bucket_ms = cell.bucket_ms AND r.agent_id = cell.agent_id
                           AND r.campaign_id = cell.campaign_id AND r.hour < cell.hour
                         ORDER BY r.hour DESC LIMIT 1), 0)
        FROM (SELECT backend, CASE WHEN total < 2000 THEN total / 10 * 10 WHEN total < 10000 THEN total / 100 * 100
                                   ELSE total / 1000 * 1000 END AS bucket_ms,
                     agent_id, COALESCE(campaign_id, 0) AS campaign_id, created_at / 3600000 AS hour
              FROM calls, (SELECT new.stt_ms + new.llm_ms + new.tts_ms + new.send_ms AS total)
              WHERE id = new.call_id) cell;
    UPDATE turn_latency_running SET turns = turns + 1
    WHERE (backend, bucket_ms, agent_id, campaign_id) =
          (SELECT backend, CASE WHEN total < 2000 THEN total / 10 * 10 WHEN total < 10000 THEN total / 100 * 100
                                ELSE total / 1000 * 1000 END, agent_id, COALESCE(campaign_id, 0)
           FROM calls, (SELECT new.stt_ms + new.llm_ms + new.tts_ms + new.send_ms AS total) WHERE id = new.call_id)
      AND hour >= (SELECT created_at / 3600000 FROM calls WHERE id = new.call_id);
END;

-- A turn removed (or replaced: INSERT OR REPLACE fires no delete trigger, so the row about to
-- be replaced is taken away first) stops counting from its hour on. When its call is being
-- deleted the call's own trigger has taken its turns away and the call row is gone: nothing
-- matches here.
CREATE TRIGGER turn_latency_running_on_replace BEFORE INSERT ON turn_latencies
WHEN EXISTS (SELECT 1 FROM turn_latencies WHERE call_id = new.call_id AND turn = new.turn) BEGIN
    UPDATE turn_latency_running SET turns = turns - 1
    WHERE (backend, bucket_ms, agent_id, campaign_id) =
          (SELECT c.backend, CASE WHEN total < 2000 THEN total / 10 * 10 WHEN total < 10000 THEN total / 100 * 100
                                  ELSE total / 1000 * 1000 END, c.agent_id, COALESCE(c.campaign_id, 0)
           FROM calls c, (SELECT stt_ms + llm_ms + tts_ms + send_ms AS total FROM turn_latencies
                          WHERE call_id = new.call_id AND turn = new.turn)
           WHERE c.id = new.call_id)
      AND hour >= (SELECT created_at / 3600000 FROM calls WHERE id = new.call_id);
END;

CREATE TRIGGER turn_latency_running_on_delete AFTER DELETE ON turn_latencies BEGIN
    UPDATE turn_latency_running SET turns = turns - 1
    WHERE (backend, bucket_ms, agent_id, campaign_id) =
          (SELECT backend, CASE WHEN total < 2000 THEN total / 10 * 10 WHEN total < 10000 THEN total / 100 * 100
                                ELSE total / 1000 * 1000 END, agent_id, COALESCE(campaign_id, 0)
           FROM calls, (SELECT old.stt_ms + old.llm_ms + old.tts_ms + old.send_ms AS total) WHERE id = old.call_id)
      AND hour >= (SELECT created_at / 3600000 FROM calls WHERE id = old.call_id);
END;

-- A call deleted takes its turns away, bucket by bucket, before they go with it.
CREATE TRIGGER turn_latency_running_call_deleted BEFORE DELETE ON calls BEGIN
    UPDATE turn_latency_running SET turns = turns - (
        SELECT COUNT(*) FROM turn_latencies t WHERE t.call_id = old.id
          AND CASE WHEN stt_ms + llm_ms + tts_ms + send_ms < 2000 THEN (stt_ms + llm_ms + tts_ms + send_ms) / 10 * 10
                   WHEN stt_ms + llm_ms + tts_ms + send_ms < 10000 THEN (stt_ms + llm_ms + tts_ms + send_ms) / 100 * 100
                   ELSE (stt_ms + llm_ms + tts_ms + send_ms) / 1000 * 1000 END = turn_latency_running.bucket_ms)
    WHERE backend = old.backend AND agent_id = old.agent_id AND campaign_id = COALESCE(old.campaign_id, 0)
      AND hour >= old.created_at / 3600000
      AND bucket_ms IN (SELECT CASE WHEN total < 2000 THEN total / 10 * 10 WHEN total < 10000 THEN total / 100 * 100
                                    ELSE total / 1000 * 1000 END
                        FROM (SELECT stt_ms + llm_ms + tts_ms + send_ms AS total FROM turn_latencies WHERE call_id = old.id));
END;
