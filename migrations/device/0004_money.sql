-- Device store, version 4: what fee collection needs offline.
-- - reverses: the receipt a reversal cancels, so a receipt is never reversed twice.
-- - number_blocks: receipt numbers the server handed this device, used before the device's
--   own series; a number is taken in the same transaction that issues the receipt.

ALTER TABLE records ADD COLUMN reverses TEXT;
CREATE INDEX records_reverses ON records (reverses) WHERE reverses IS NOT NULL;

CREATE TABLE number_blocks (
    fy     TEXT NOT NULL,        -- financial year, e.g. 2026-27
    first  INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    next   INTEGER NOT NULL,     -- next unused number; first..=last
    PRIMARY KEY (fy, first)
) STRICT;

-- The device's own series per financial year, for when every block is used up offline.
CREATE TABLE device_series (
    fy   TEXT PRIMARY KEY,
    next INTEGER NOT NULL
) STRICT;
