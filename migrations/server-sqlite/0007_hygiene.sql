-- Version 7: what a server that trusts no device keeps to bound and check itself.
-- `health` is written and rolled back by /healthz: proof that a write can still commit.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY,
    checked_at INTEGER NOT NULL
) STRICT;

-- The photos (blobs, by SHA-256) each stored record names, written in the same transaction as
-- the record; a complete blob no record names is deleted after the upload grace window.
CREATE TABLE record_blobs (
    tenant TEXT NOT NULL,
    record TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (tenant, record, sha256)
) STRICT;
CREATE INDEX record_blobs_name ON record_blobs (tenant, sha256);

-- Server housekeeping flags, e.g. that record_blobs was filled for records stored before it.
CREATE TABLE gc_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

-- Parked changes are bounded per device and expire by age.
CREATE INDEX parked_device ON parked (tenant, device);
CREATE INDEX parked_received ON parked (received_at);
