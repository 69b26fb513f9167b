-- Version 9: the message a call leaves on an answering machine, rendered when the call was
-- placed (NULL: hang up), so a machine's verdict after a restart, or after the agent was edited,
-- still applies the policy the call was placed with.

ALTER TABLE calls ADD COLUMN voicemail_message TEXT;
