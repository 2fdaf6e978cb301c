-- Version 6: what the server itself flags on a record for a supervisor, by code, e.g. a
-- disposal its own geofence check puts outside every treatment plant whatever the device said.
-- Kept once per record and code (the latest reason wins); never sent back as part of a record.
CREATE TABLE flags (
    tenant     TEXT NOT NULL,
    record     TEXT NOT NULL,
    code       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    flagged_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, record, code)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON flags TO wardbook_tenant;
ALTER TABLE flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_town ON flags TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
