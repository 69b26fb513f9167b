-- Version 18: what every call cost, in US dollars, with its breakdown, and campaign budgets.
-- The provider's own figure (cost_amount, cost_currency) stays as reported; cost_usd is the
-- canonical total (NULL while unknown), cost_estimate says it was priced from usage at the
-- rates in Settings (or is a simulator call priced as if it were real).

ALTER TABLE calls ADD COLUMN cost_usd REAL;
ALTER TABLE calls ADD COLUMN cost_estimate INTEGER NOT NULL DEFAULT 0 CHECK (cost_estimate IN (0, 1));

-- The breakdown of a call's cost_usd, one row per thing used: "Twilio minutes", 3 "min" at
-- 0.014 USD per min, 0.042 USD. Replaced whole when the call is priced again.
CREATE TABLE call_cost_items (
    call_id    INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    item       TEXT NOT NULL,
    quantity   REAL NOT NULL,
    unit       TEXT NOT NULL,
    rate_usd   REAL NOT NULL,
    amount_usd REAL NOT NULL,
    PRIMARY KEY (call_id, seq)
) STRICT, WITHOUT ROWID;

-- A campaign's budget in US dollars (NULL: none). A campaign paused because spent plus the
-- calls in flight would pass it has status 'paused' and status_reason 'budget reached'.
ALTER TABLE campaigns ADD COLUMN budget_usd REAL CHECK (budget_usd IS NULL OR budget_usd >= 0);

-- Spent so far per campaign reads calls by campaign (calls_by_campaign) and sums cost_usd.
