-- Version 7: what a server that trusts no device keeps to bound and check itself.
-- `health` is written and rolled back by /healthz: proof that a write can still commit.
CREATE TABLE health (
    id         BIGINT PRIMARY KEY,
    checked_at BIGINT NOT NULL
);

-- The photos (blobs, by SHA-256) each stored record names, written in the same transaction as
-- the record; a complete blob no record names is deleted after the upload grace window.
CREATE TABLE record_blobs (
    tenant TEXT NOT NULL,
    record TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (tenant, record, sha256)
);
CREATE INDEX record_blobs_name ON record_blobs (tenant, sha256);

-- Server housekeeping flags, e.g. that record_blobs was filled for records stored before it.
CREATE TABLE gc_state (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Parked changes are bounded per device and expire by age.
CREATE INDEX parked_device ON parked (tenant, device);
CREATE INDEX parked_received ON parked (received_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON record_blobs TO wardbook_tenant;
ALTER TABLE record_blobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_town ON record_blobs TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
