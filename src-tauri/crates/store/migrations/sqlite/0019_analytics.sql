-- Version 19: what the Analytics section reads, kept up to date as calls change, so a redraw
-- reads a few thousand summary rows instead of every call.
--
-- call_stats: per UTC hour a call was placed in, agent, backend, campaign (0: none) and state,
-- how many calls, how many were answered, talked (answered and ended) and for how long,
-- how many yielded a quote (an offer), how many have a cost (cost_usd) and its sum in millionths
-- of a dollar (whole numbers, so taking a call away leaves no rounding behind). Triggers on calls and offers keep it equal to what
-- those tables say; a row whose calls fall to 0 is removed.
CREATE TABLE call_stats (
    hour        INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    backend     TEXT NOT NULL,
    campaign_id INTEGER NOT NULL,
    state       TEXT NOT NULL,
    calls       INTEGER NOT NULL,
    answered    INTEGER NOT NULL,
    talked      INTEGER NOT NULL,
    talk_ms     INTEGER NOT NULL,
    quotes      INTEGER NOT NULL,
    costed      INTEGER NOT NULL,
    cost_micros INTEGER NOT NULL,
    PRIMARY KEY (hour, agent_id, backend, campaign_id, state)
) STRICT, WITHOUT ROWID;

INSERT INTO call_stats
    SELECT created_at / 3600000, agent_id, backend, COALESCE(campaign_id, 0), state, COUNT(*),
           SUM(answered_at IS NOT NULL),
           SUM(answered_at IS NOT NULL AND ended_at IS NOT NULL),
           SUM(CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL THEN ended_at - answered_at ELSE 0 END),
           SUM(EXISTS (SELECT 1 FROM offers o WHERE o.call_id = calls.id)),
           COUNT(cost_usd), COALESCE(SUM(CAST(ROUND(cost_usd * 1000000) AS INTEGER)), 0)
    FROM calls GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER call_stats_on_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_stats VALUES (
        new.created_at / 3600000, new.agent_id, new.backend, COALESCE(new.campaign_id, 0), new.state, 1,
        new.answered_at IS NOT NULL, new.answered_at IS NOT NULL AND new.ended_at IS NOT NULL,
        CASE WHEN new.answered_at IS NOT NULL AND new.ended_at IS NOT NULL THEN new.ended_at - new.answered_at ELSE 0 END,
        EXISTS (SELECT 1 FROM offers WHERE call_id = new.id),
        new.cost_usd IS NOT NULL, COALESCE(CAST(ROUND(new.cost_usd * 1000000) AS INTEGER), 0))
    ON CONFLICT DO UPDATE SET calls = calls + 1, answered = answered + excluded.answered,
        talked = talked + excluded.talked, talk_ms = talk_ms + excluded.talk_ms, quotes = quotes + excluded.quotes,
        costed = costed + excluded.costed, cost_micros = cost_micros + excluded.cost_micros;
END;

-- Takes the call's old figures away (BEFORE DELETE: while its offer is still there to count).
CREATE TRIGGER call_stats_on_delete BEFORE DELETE ON calls BEGIN
    UPDATE call_stats SET calls = calls - 1,
        answered = answered - (old.answered_at IS NOT NULL),
        talked = talked - (old.answered_at IS NOT NULL AND old.ended_at IS NOT NULL),
        talk_ms = talk_ms - CASE WHEN old.answered_at IS NOT NULL AND old.ended_at IS NOT NULL THEN old.ended_at - old.answered_at ELSE 0 END,
        quotes = quotes - EXISTS (SELECT 1 FROM offers WHERE call_id = old.id),
        costed = costed - (old.cost_usd IS NOT NULL),
        cost_micros = cost_micros - COALESCE(CAST(ROUND(old.cost_usd * 1000000) AS INTEGER), 0)
    WHERE hour = old.created_at / 3600000 AND agent_id = old.agent_id AND backend = old.backend
      AND campaign_id = COALESCE(old.campaign_id, 0) AND state = old.state;
    DELETE FROM call_stats WHERE hour = old.created_at / 3600000 AND agent_id = old.agent_id AND backend = old.backend
      AND campaign_id = COALESCE(old.campaign_id, 0) AND state = old.state AND calls = 0;
END;

-- Old figures out, new figures in (the offer, if any, counts on both sides alike).
CREATE TRIGGER call_stats_on_update
AFTER UPDATE OF created_at, agent_id, backend, campaign_id, state, answered_at, ended_at, cost_usd ON calls BEGIN
    UPDATE call_stats SET calls = calls - 1,
        answered = answered - (old.answered_at IS NOT NULL),
        talked = talked - (old.answered_at IS NOT NULL AND old.ended_at IS NOT NULL),
        talk_ms = talk_ms - CASE WHEN old.answered_at IS NOT NULL AND old.ended_at IS NOT NULL THEN old.ended_at - old.answered_at ELSE 0 END,
        quotes = quotes - EXISTS (SELECT 1 FROM offers WHERE call_id = old.id),
        costed = costed - (old.cost_usd IS NOT NULL),
        cost_micros = cost_micros - COALESCE(CAST(ROUND(old.cost_usd * 1000000) AS INTEGER), 0)
    WHERE hour = old.created_at / 3600000 AND agent_id = old.agent_id AND backend = old.backend
      AND campaign_id = COALESCE(old.campaign_id, 0) AND state = old.state;
    DELETE FROM call_stats WHERE hour = old.created_at / 3600000 AND agent_id = old.agent_id AND backend = old.backend
      AND campaign_id = COALESCE(old.campaign_id, 0) AND state = old.state AND calls = 0;
    INSERT INTO call_stats VALUES (
        new.created_at / 3600000, new.agent_id, new.backend, COALESCE(new.campaign_id, 0), new.state, 1,
        new.answered_at IS NOT NULL, new.answered_at IS NOT NULL AND new.ended_at IS NOT NULL,
        CASE WHEN new.answered_at IS NOT NULL AND new.ended_at IS NOT NULL THEN new.ended_at - new.answered_at ELSE 0 END,
        EXISTS (SELECT 1 FROM offers WHERE call_id = new.id),
        new.cost_usd IS NOT NULL, COALESCE(CAST(ROUND(new.cost_usd * 1000000) AS INTEGER), 0))
    ON CONFLICT DO UPDATE SET calls = calls + 1, answered = answered + excluded.answered,
        talked = talked + excluded.talked, talk_ms = talk_ms + excluded.talk_ms, quotes = quotes + excluded.quotes,
        costed = costed + excluded.costed, cost_micros = cost_micros + excluded.cost_micros;
END;

-- An offer replacing the call's earlier one (INSERT OR REPLACE fires no delete trigger) first
-- takes the earlier one's count away.
CREATE TRIGGER call_stats_offer_replaced BEFORE INSERT ON offers
WHEN EXISTS (SELECT 1 FROM offers WHERE call_id = new.call_id) BEGIN
    UPDATE call_stats SET quotes = quotes - 1 WHERE (hour, agent_id, backend, campaign_id, state) =
        (SELECT created_at / 3600000, agent_id, backend, COALESCE(campaign_id, 0), state FROM calls WHERE id = new.call_id);
END;

CREATE TRIGGER call_stats_offer_added AFTER INSERT ON offers BEGIN
    UPDATE call_stats SET quotes = quotes + 1 WHERE (hour, agent_id, backend, campaign_id, state) =
        (SELECT created_at / 3600000, agent_id, backend, COALESCE(campaign_id, 0), state FROM calls WHERE id = new.call_id);
END;

-- (When the call itself is deleted its row is gone by now, and its delete trigger counted the offer.)
CREATE TRIGGER call_stats_offer_removed AFTER DELETE ON offers BEGIN
    UPDATE call_stats SET quotes = quotes - 1 WHERE (hour, agent_id, backend, campaign_id, state) =
        (SELECT created_at / 3600000, agent_id, backend, COALESCE(campaign_id, 0), state FROM calls WHERE id = old.call_id);
END;

-- Talk time in order, with the filters' columns, for the p90 (a walk of this index, no sort).
CREATE INDEX calls_by_talk_time
    ON calls(ended_at - answered_at, created_at, agent_id, backend, campaign_id, answered_at, ended_at)
    WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL;

-- Each agent turn's whole latency (silence to first frame sent) with its call's filter columns,
-- ordered per backend for the percentiles; written with the turn, removed with the call.
CREATE TABLE turn_totals (
    call_id     INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    turn        INTEGER NOT NULL,
    backend     TEXT NOT NULL,
    total_ms    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    PRIMARY KEY (call_id, turn)
) STRICT, WITHOUT ROWID;
CREATE INDEX turn_totals_by_backend ON turn_totals(backend, total_ms, created_at, agent_id, campaign_id);

INSERT INTO turn_totals
    SELECT t.call_id, t.turn, c.backend, t.stt_ms + t.llm_ms + t.tts_ms + t.send_ms, c.created_at, c.agent_id,
           COALESCE(c.campaign_id, 0)
    FROM turn_latencies t JOIN calls c ON c.id = t.call_id;

CREATE TRIGGER turn_totals_on_insert AFTER INSERT ON turn_latencies BEGIN
    INSERT OR REPLACE INTO turn_totals
        SELECT new.call_id, new.turn, backend, new.stt_ms + new.llm_ms + new.tts_ms + new.send_ms, created_at, agent_id,
               COALESCE(campaign_id, 0)
        FROM calls WHERE id = new.call_id;
END;
