-- Version 4: receipt numbers. Each town has one series per financial year; devices get
-- blocks of it (receipt_blocks says which device got which). A receipt's number is kept with
-- the record, unique in its town, so a number arriving twice is refused.
CREATE TABLE receipt_series (
    tenant TEXT NOT NULL,
    fy     TEXT NOT NULL,
    next   INTEGER NOT NULL,
    PRIMARY KEY (tenant, fy)
) STRICT;

CREATE TABLE receipt_blocks (
    tenant    TEXT NOT NULL,
    fy        TEXT NOT NULL,
    first     INTEGER NOT NULL,
    last      INTEGER NOT NULL,
    device    TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, fy, first)
) STRICT;

ALTER TABLE records ADD COLUMN number TEXT;
CREATE UNIQUE INDEX records_number ON records (tenant, number) WHERE number IS NOT NULL;
