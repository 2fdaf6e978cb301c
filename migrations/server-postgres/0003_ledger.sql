-- Version 3: each town's ledger, a hash chain over its money records (receipts, later their
-- reversals). Entry n holds the canonical bytes of what was recorded (JSON, keys sorted),
-- prev_hash = hash of entry n-1 (32 zero bytes for n = 1) and hash = SHA-256(prev_hash || entry).
-- `wardbook-server ledger verify` recomputes it and names the first entry that does not fit.
-- Rows are only ever inserted: the tenant role may read and append, never update or delete.
CREATE TABLE ledger (
    tenant    TEXT NOT NULL,
    n         BIGINT NOT NULL CHECK (n >= 1),
    kind      TEXT NOT NULL CHECK (kind IN ('receipt', 'reversal')),
    record    TEXT NOT NULL,
    entry     BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash      BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (tenant, n),
    UNIQUE (tenant, kind, record)
);

GRANT SELECT, INSERT ON ledger TO wardbook_tenant;
ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_town ON ledger TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
