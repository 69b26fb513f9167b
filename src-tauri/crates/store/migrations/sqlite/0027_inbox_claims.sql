-- The shared inbox: the node that took a stored webhook to apply it (NULL: none yet). Another
-- node takes it only once that node has ended, so two nodes never both apply one row.
ALTER TABLE webhook_inbox ADD COLUMN claimed_by INTEGER REFERENCES nodes(id);
