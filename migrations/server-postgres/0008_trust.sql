-- Version 8: what the server needs to judge a device's changes by the records' own rules.
-- device_actors binds each Automerge actor to the one device that writes with it, so a device
-- can neither write as another nor use another's receipt series. receipt_blocks.used counts
-- the numbers of a block that reached the server, which bounds the numbers a device holds
-- unused. records.reverses names the receipt a reversal cancels (at most one open or approved).
CREATE TABLE device_actors (
    tenant TEXT NOT NULL,
    actor  TEXT NOT NULL,
    device TEXT NOT NULL,
    PRIMARY KEY (tenant, actor)
);

ALTER TABLE receipt_blocks ADD COLUMN used BIGINT NOT NULL DEFAULT 0;

ALTER TABLE records ADD COLUMN reverses TEXT;
CREATE INDEX records_reverses ON records (tenant, reverses) WHERE reverses IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON device_actors TO wardbook_tenant;
ALTER TABLE device_actors ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_town ON device_actors TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
