-- Version 4: receipt numbers. Each town has one series per financial year; devices get
-- blocks of it (receipt_blocks says which device got which). A receipt's number is kept with
-- the record, unique in its town, so a number arriving twice is refused.
CREATE TABLE receipt_series (
    tenant TEXT NOT NULL,
    fy     TEXT NOT NULL,
    next   BIGINT NOT NULL,
    PRIMARY KEY (tenant, fy)
);

CREATE TABLE receipt_blocks (
    tenant    TEXT NOT NULL,
    fy        TEXT NOT NULL,
    first     BIGINT NOT NULL,
    last      BIGINT NOT NULL,
    device    TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, fy, first)
);

ALTER TABLE records ADD COLUMN number TEXT;
CREATE UNIQUE INDEX records_number ON records (tenant, number) WHERE number IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON receipt_series, receipt_blocks TO wardbook_tenant;
ALTER TABLE receipt_series ENABLE ROW LEVEL SECURITY;
ALTER TABLE receipt_blocks ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_town ON receipt_series TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
CREATE POLICY one_town ON receipt_blocks TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
