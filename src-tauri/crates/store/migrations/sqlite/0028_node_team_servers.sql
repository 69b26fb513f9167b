-- Where each node's team server is reached, as the node published it: its advertised URL
-- (NULL: unknown, it listens on every address and was given none) and its TLS certificate's
-- SHA-256, which another node pins when it opens the node's listen-in of a call the node runs.
ALTER TABLE nodes ADD COLUMN advertise_url TEXT;
ALTER TABLE nodes ADD COLUMN cert_sha256 TEXT;
