-- Version 5: devices register a receipt signing key (ed25519, base64url) at enrollment, and a
-- receipt approved as reversed is marked cancelled, for the public /verify page.
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE devices ADD COLUMN key_id TEXT;
CREATE INDEX devices_key_id ON devices (tenant, key_id) WHERE key_id IS NOT NULL;
ALTER TABLE records ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
