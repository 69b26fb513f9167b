-- Rehearsals: each agent's suite as edited in the window (else the shipped one applies), and
-- every rehearsal with its runs, per agent version (a hash of the agent's configuration).

CREATE TABLE rehearsal_suites (
    agent_id   INTEGER PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    -- The whole Suite as JSON (contact, variables, scenarios).
    suite      TEXT NOT NULL CHECK (json_valid(suite)),
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE rehearsals (
    id            INTEGER PRIMARY KEY,
    agent_id      INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    agent_version TEXT NOT NULL,
    mode          TEXT NOT NULL,
    started_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE rehearsal_runs (
    rehearsal_id INTEGER NOT NULL REFERENCES rehearsals(id) ON DELETE CASCADE,
    scenario     TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    -- The judged RehearsalRun as JSON (transcript, fields, ending, checks, judge's reasons).
    run          TEXT NOT NULL CHECK (json_valid(run)),
    PRIMARY KEY (rehearsal_id, scenario, seq)
) STRICT, WITHOUT ROWID;

-- The latest rehearsal of each scenario of an agent version.
CREATE INDEX rehearsal_runs_by_scenario ON rehearsal_runs(scenario, rehearsal_id);
CREATE INDEX rehearsals_by_version ON rehearsals(agent_id, agent_version, id);
