-- call_stats reshaped so that a redraw reads one row per hour, agent, backend and campaign
-- instead of one per state as well, and the outcomes a row per day.
--
-- A row covers `span_hours` hours from `hour` (hours since the epoch, UTC): 1, that hour, or 24,
-- the UTC day starting at `hour`. Every call counts in two rows: its hour's and its day's, with
-- its agent, backend and campaign (0: none). A row holds what its calls come to (how many, how many
-- were answered, talked (answered and ended) and for how long, yielded a quote (an offer), have a
-- cost and its sum in millionths of a dollar), then the same seven figures of its calls in each
-- state (`completed_calls`, ...). The days, agents and backends add up the hour rows; the outcomes
-- add up the day rows of whole days in the range and the hour rows of the part days at its ends.
-- Triggers keep it equal to what calls and offers say; a row whose calls fall to 0 is removed.
DROP TRIGGER call_stats_on_insert;
DROP TRIGGER call_stats_on_delete;
DROP TRIGGER call_stats_on_update;
DROP TRIGGER call_stats_offer_replaced;
DROP TRIGGER call_stats_offer_added;
DROP TRIGGER call_stats_offer_removed;
DROP TABLE call_stats;

CREATE TABLE call_stats (
    span_hours  INTEGER NOT NULL CHECK (span_hours IN (1, 24)),
    hour        INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    backend     TEXT NOT NULL,
    campaign_id INTEGER NOT NULL,
    calls INTEGER NOT NULL, answered INTEGER NOT NULL, talked INTEGER NOT NULL, talk_ms INTEGER NOT NULL,
    quotes INTEGER NOT NULL, costed INTEGER NOT NULL, cost_micros INTEGER NOT NULL,
    queued_calls INTEGER NOT NULL, queued_answered INTEGER NOT NULL, queued_talked INTEGER NOT NULL,
    queued_talk_ms INTEGER NOT NULL, queued_quotes INTEGER NOT NULL, queued_costed INTEGER NOT NULL,
    queued_cost_micros INTEGER NOT NULL,
    dialing_calls INTEGER NOT NULL, dialing_answered INTEGER NOT NULL, dialing_talked INTEGER NOT NULL,
    dialing_talk_ms INTEGER NOT NULL, dialing_quotes INTEGER NOT NULL, dialing_costed INTEGER NOT NULL,
    dialing_cost_micros INTEGER NOT NULL,
    ringing_calls INTEGER NOT NULL, ringing_answered INTEGER NOT NULL, ringing_talked INTEGER NOT NULL,
    ringing_talk_ms INTEGER NOT NULL, ringing_quotes INTEGER NOT NULL, ringing_costed INTEGER NOT NULL,
    ringing_cost_micros INTEGER NOT NULL,
    in_progress_calls INTEGER NOT NULL, in_progress_answered INTEGER NOT NULL, in_progress_talked INTEGER NOT NULL,
    in_progress_talk_ms INTEGER NOT NULL, in_progress_quotes INTEGER NOT NULL, in_progress_costed INTEGER NOT NULL,
    in_progress_cost_micros INTEGER NOT NULL,
    completed_calls INTEGER NOT NULL, completed_answered INTEGER NOT NULL, completed_talked INTEGER NOT NULL,
    completed_talk_ms INTEGER NOT NULL, completed_quotes INTEGER NOT NULL, completed_costed INTEGER NOT NULL,
    completed_cost_micros INTEGER NOT NULL,
    busy_calls INTEGER NOT NULL, busy_answered INTEGER NOT NULL, busy_talked INTEGER NOT NULL,
    busy_talk_ms INTEGER NOT NULL, busy_quotes INTEGER NOT NULL, busy_costed INTEGER NOT NULL,
    busy_cost_micros INTEGER NOT NULL,
    no_answer_calls INTEGER NOT NULL, no_answer_answered INTEGER NOT NULL, no_answer_talked INTEGER NOT NULL,
    no_answer_talk_ms INTEGER NOT NULL, no_answer_quotes INTEGER NOT NULL, no_answer_costed INTEGER NOT NULL,
    no_answer_cost_micros INTEGER NOT NULL,
    failed_calls INTEGER NOT NULL, failed_answered INTEGER NOT NULL, failed_talked INTEGER NOT NULL,
    failed_talk_ms INTEGER NOT NULL, failed_quotes INTEGER NOT NULL, failed_costed INTEGER NOT NULL,
    failed_cost_micros INTEGER NOT NULL,
    voicemail_calls INTEGER NOT NULL, voicemail_answered INTEGER NOT NULL, voicemail_talked INTEGER NOT NULL,
    voicemail_talk_ms INTEGER NOT NULL, voicemail_quotes INTEGER NOT NULL, voicemail_costed INTEGER NOT NULL,
    voicemail_cost_micros INTEGER NOT NULL,
    canceled_calls INTEGER NOT NULL, canceled_answered INTEGER NOT NULL, canceled_talked INTEGER NOT NULL,
    canceled_talk_ms INTEGER NOT NULL, canceled_quotes INTEGER NOT NULL, canceled_costed INTEGER NOT NULL,
    canceled_cost_micros INTEGER NOT NULL,
    lost_calls INTEGER NOT NULL, lost_answered INTEGER NOT NULL, lost_talked INTEGER NOT NULL,
    lost_talk_ms INTEGER NOT NULL, lost_quotes INTEGER NOT NULL, lost_costed INTEGER NOT NULL,
    lost_cost_micros INTEGER NOT NULL,
    PRIMARY KEY (span_hours, hour, agent_id, backend, campaign_id)
) STRICT, WITHOUT ROWID;

-- The spans every call counts in.
CREATE VIEW call_stats_spans (span_hours) AS VALUES (1), (24);

-- Inserting (call id, 1) adds the call's figures as they are now to its rows, (call id, -1) takes
-- them away: every change to a call or its offer is its figures taken away before and added
-- after (the triggers below), so the figures are written once, here.
CREATE VIEW call_stats_changes (call_id, sign) AS SELECT 0, 0 WHERE 0;

CREATE TRIGGER call_stats_change INSTEAD OF INSERT ON call_stats_changes BEGIN
    INSERT INTO call_stats
    SELECT span_hours, hour / span_hours * span_hours, agent_id, backend, campaign_id,
           calls, answered, talked, talk_ms, quotes, costed, cost_micros,
           calls * queued, answered * queued, talked * queued, talk_ms * queued, quotes * queued, costed * queued,
           cost_micros * queued,
           calls * dialing, answered * dialing, talked * dialing, talk_ms * dialing, quotes * dialing,
           costed * dialing, cost_micros * dialing,
           calls * ringing, answered * ringing, talked * ringing, talk_ms * ringing, quotes * ringing,
           costed * ringing, cost_micros * ringing,
           calls * in_progress, answered * in_progress, talked * in_progress, talk_ms * in_progress,
           quotes * in_progress, costed * in_progress, cost_micros * in_progress,
           calls * completed, answered * completed, talked * completed, talk_ms * completed, quotes * completed,
           costed * completed, cost_micros * completed,
           calls * busy, answered * busy, talked * busy, talk_ms * busy, quotes * busy, costed * busy,
           cost_micros * busy,
           calls * no_answer, answered * no_answer, talked * no_answer, talk_ms * no_answer, quotes * no_answer,
           costed * no_answer, cost_micros * no_answer,
           calls * failed, answered * failed, talked * failed, talk_ms * failed, quotes * failed, costed * failed,
           cost_micros * failed,
           calls * voicemail, answered * voicemail, talked * voicemail, talk_ms * voicemail, quotes * voicemail,
           costed * voicemail, cost_micros * voicemail,
           calls * canceled, answered * canceled, talked * canceled, talk_ms * canceled, quotes * canceled,
           costed * canceled, cost_micros * canceled,
           calls * lost, answered * lost, talked * lost, talk_ms * lost, quotes * lost, costed * lost,
           cost_micros * lost
    FROM call_stats_spans,
         (SELECT created_at / 3600000 AS hour, agent_id, backend, COALESCE(campaign_id, 0) AS campaign_id,
                 new.sign AS calls,
                 new.sign * (answered_at IS NOT NULL) AS answered,
                 new.sign * (answered_at IS NOT NULL AND ended_at IS NOT NULL) AS talked,
                 new.sign * CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL THEN ended_at - answered_at
                                 ELSE 0 END AS talk_ms,
                 new.sign * EXISTS (SELECT 1 FROM offers WHERE call_id = calls.id) AS quotes,
                 new.sign * (cost_usd IS NOT NULL) AS costed,
                 new.sign * COALESCE(CAST(ROUND(cost_usd * 1000000) AS INTEGER), 0) AS cost_micros,
                 state = 'queued' AS queued, state = 'dialing' AS dialing, state = 'ringing' AS ringing,
                 state = 'in-progress' AS in_progress, state = 'completed' AS completed, state = 'busy' AS busy,
                 state = 'no-answer' AS no_answer, state = 'failed' AS failed, state = 'voicemail' AS voicemail,
                 state = 'canceled' AS canceled, state = 'lost' AS lost
          FROM calls WHERE id = new.call_id)
    WHERE true
    ON CONFLICT DO UPDATE SET
        calls = calls + excluded.calls, answered = answered + excluded.answered, talked = talked + excluded.talked,
        talk_ms = talk_ms + excluded.talk_ms, quotes = quotes + excluded.quotes, costed = costed + excluded.costed,
        cost_micros = cost_micros + excluded.cost_micros, queued_calls = queued_calls + excluded.queued_calls,
        queued_answered = queued_answered + excluded.queued_answered,
        queued_talked = queued_talked + excluded.queued_talked,
        queued_talk_ms = queued_talk_ms + excluded.queued_talk_ms,
        queued_quotes = queued_quotes + excluded.queued_quotes,
        queued_costed = queued_costed + excluded.queued_costed,
        queued_cost_micros = queued_cost_micros + excluded.queued_cost_micros,
        dialing_calls = dialing_calls + excluded.dialing_calls,
        dialing_answered = dialing_answered + excluded.dialing_answered,
        dialing_talked = dialing_talked + excluded.dialing_talked,
        dialing_talk_ms = dialing_talk_ms + excluded.dialing_talk_ms,
        dialing_quotes = dialing_quotes + excluded.dialing_quotes,
        dialing_costed = dialing_costed + excluded.dialing_costed,
        dialing_cost_micros = dialing_cost_micros + excluded.dialing_cost_micros,
        ringing_calls = ringing_calls + excluded.ringing_calls,
        ringing_answered = ringing_answered + excluded.ringing_answered,
        ringing_talked = ringing_talked + excluded.ringing_talked,
        ringing_talk_ms = ringing_talk_ms + excluded.ringing_talk_ms,
        ringing_quotes = ringing_quotes + excluded.ringing_quotes,
        ringing_costed = ringing_costed + excluded.ringing_costed,
        ringing_cost_micros = ringing_cost_micros + excluded.ringing_cost_micros,
        in_progress_calls = in_progress_calls + excluded.in_progress_calls,
        in_progress_answered = in_progress_answered + excluded.in_progress_answered,
        in_progress_talked = in_progress_talked + excluded.in_progress_talked,
        in_progress_talk_ms = in_progress_talk_ms + excluded.in_progress_talk_ms,
        in_progress_quotes = in_progress_quotes + excluded.in_progress_quotes,
        in_progress_costed = in_progress_costed + excluded.in_progress_costed,
        in_progress_cost_micros = in_progress_cost_micros + excluded.in_progress_cost_micros,
        completed_calls = completed_calls + excluded.completed_calls,
        completed_answered = completed_answered + excluded.completed_answered,
        completed_talked = completed_talked + excluded.completed_talked,
        completed_talk_ms = completed_talk_ms + excluded.completed_talk_ms,
        completed_quotes = completed_quotes + excluded.completed_quotes,
        completed_costed = completed_costed + excluded.completed_costed,
        completed_cost_micros = completed_cost_micros + excluded.completed_cost_micros,
        busy_calls = busy_calls + excluded.busy_calls, busy_answered = busy_answered + excluded.busy_answered,
        busy_talked = busy_talked + excluded.busy_talked, busy_talk_ms = busy_talk_ms + excluded.busy_talk_ms,
        busy_quotes = busy_quotes + excluded.busy_quotes, busy_costed = busy_costed + excluded.busy_costed,
        busy_cost_micros = busy_cost_micros + excluded.busy_cost_micros,
        no_answer_calls = no_answer_calls + excluded.no_answer_calls,
        no_answer_answered = no_answer_answered + excluded.no_answer_answered,
        no_answer_talked = no_answer_talked + excluded.no_answer_talked,
        no_answer_talk_ms = no_answer_talk_ms + excluded.no_answer_talk_ms,
        no_answer_quotes = no_answer_quotes + excluded.no_answer_quotes,
        no_answer_costed = no_answer_costed + excluded.no_answer_costed,
        no_answer_cost_micros = no_answer_cost_micros + excluded.no_answer_cost_micros,
        failed_calls = failed_calls + excluded.failed_calls,
        failed_answered = failed_answered + excluded.failed_answered,
        failed_talked = failed_talked + excluded.failed_talked,
        failed_talk_ms = failed_talk_ms + excluded.failed_talk_ms,
        failed_quotes = failed_quotes + excluded.failed_quotes,
        failed_costed = failed_costed + excluded.failed_costed,
        failed_cost_micros = failed_cost_micros + excluded.failed_cost_micros,
        voicemail_calls = voicemail_calls + excluded.voicemail_calls,
        voicemail_answered = voicemail_answered + excluded.voicemail_answered,
        voicemail_talked = voicemail_talked + excluded.voicemail_talked,
        voicemail_talk_ms = voicemail_talk_ms + excluded.voicemail_talk_ms,
        voicemail_quotes = voicemail_quotes + excluded.voicemail_quotes,
        voicemail_costed = voicemail_costed + excluded.voicemail_costed,
        voicemail_cost_micros = voicemail_cost_micros + excluded.voicemail_cost_micros,
        canceled_calls = canceled_calls + excluded.canceled_calls,
        canceled_answered = canceled_answered + excluded.canceled_answered,
        canceled_talked = canceled_talked + excluded.canceled_talked,
        canceled_talk_ms = canceled_talk_ms + excluded.canceled_talk_ms,
        canceled_quotes = canceled_quotes + excluded.canceled_quotes,
        canceled_costed = canceled_costed + excluded.canceled_costed,
        canceled_cost_micros = canceled_cost_micros + excluded.canceled_cost_micros,
        lost_calls = lost_calls + excluded.lost_calls, lost_answered = lost_answered + excluded.lost_answered,
        lost_talked = lost_talked + excluded.lost_talked, lost_talk_ms = lost_talk_ms + excluded.lost_talk_ms,
        lost_quotes = lost_quotes + excluded.lost_quotes, lost_costed = lost_costed + excluded.lost_costed,
        lost_cost_micros = lost_cost_micros + excluded.lost_cost_micros;
    DELETE FROM call_stats WHERE calls = 0 AND (span_hours, hour, agent_id, backend, campaign_id) IN
        (SELECT span_hours, created_at / 3600000 / span_hours * span_hours, agent_id, backend, COALESCE(campaign_id, 0)
         FROM call_stats_spans, calls WHERE id = new.call_id);
END;

-- A call's figures go in when it is written, and are taken away before and added again after
-- a change that moves them, and taken away before it is deleted (while its offer is still
-- there to count).
CREATE TRIGGER call_stats_call_added AFTER INSERT ON calls BEGIN
    INSERT INTO call_stats_changes VALUES (new.id, 1);
END;
CREATE TRIGGER call_stats_call_changing
BEFORE UPDATE OF created_at, agent_id, backend, campaign_id, state, answered_at, ended_at, cost_usd ON calls BEGIN
    INSERT INTO call_stats_changes VALUES (old.id, -1);
END;
CREATE TRIGGER call_stats_call_changed
AFTER UPDATE OF created_at, agent_id, backend, campaign_id, state, answered_at, ended_at, cost_usd ON calls BEGIN
    INSERT INTO call_stats_changes VALUES (new.id, 1);
END;
CREATE TRIGGER call_stats_call_removed BEFORE DELETE ON calls BEGIN
    INSERT INTO call_stats_changes VALUES (old.id, -1);
END;

-- An offer written (or replacing the call's earlier one: INSERT OR REPLACE fires no delete
-- trigger) or removed changes its call's quote: the call's figures out before, in after. (When
-- the call itself is being deleted its row is gone by the time its offer goes, and its own
-- trigger took its figures away: nothing matches.)
CREATE TRIGGER call_stats_offer_adding BEFORE INSERT ON offers BEGIN
    INSERT INTO call_stats_changes VALUES (new.call_id, -1);
END;
CREATE TRIGGER call_stats_offer_added AFTER INSERT ON offers BEGIN
    INSERT INTO call_stats_changes VALUES (new.call_id, 1);
END;
CREATE TRIGGER call_stats_offer_removing BEFORE DELETE ON offers BEGIN
    INSERT INTO call_stats_changes VALUES (old.call_id, -1);
END;
CREATE TRIGGER call_stats_offer_removed AFTER DELETE ON offers BEGIN
    INSERT INTO call_stats_changes VALUES (old.call_id, 1);
END;

-- The calls already there.
INSERT INTO call_stats_changes SELECT id, 1 FROM calls;
