-- Version 7: the webhook inbox. Every verified provider webhook is written here, and committed,
-- before the listener answers 200; a processor applies rows afterwards and marks them. The
-- provider's own idempotency key makes a redelivered webhook a duplicate at insert.

CREATE TABLE webhook_inbox (
    id           INTEGER PRIMARY KEY,
    -- twilio | elevenlabs | ultravox | vapi
    provider     TEXT NOT NULL,
    -- Which callback it was (twilio-status, twilio-recording, twilio-amd, elevenlabs, ...).
    route        TEXT NOT NULL,
    -- The provider's idempotency key (e.g. Twilio CallSid/CallStatus/SequenceNumber).
    event_key    TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    -- The listener's x-request-id, to match the row with its log lines.
    request_id   TEXT,
    content_type TEXT,
    -- The raw body exactly as verified (no secrets: signatures and auth headers are not kept).
    body         BLOB NOT NULL,
    processed_at INTEGER,
    -- How many times processing finished with this row (applied or failed).
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- Why processing refused the row; such a row is parked, not retried.
    last_error   TEXT,
    UNIQUE (provider, event_key)
) STRICT;
CREATE INDEX webhook_inbox_pending ON webhook_inbox(id) WHERE processed_at IS NULL AND last_error IS NULL;

-- Webhooks find their call by the provider's id.
CREATE INDEX calls_by_provider_id ON calls(provider_call_id) WHERE provider_call_id IS NOT NULL;
