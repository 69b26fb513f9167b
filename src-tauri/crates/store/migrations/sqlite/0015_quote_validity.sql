-- Version 15: how many days a vendor's quote holds from the call, read from what the agent
-- collected (`quote_valid_days`), so a summary can flag a quote that has run out.

ALTER TABLE offers ADD COLUMN valid_days INTEGER;
