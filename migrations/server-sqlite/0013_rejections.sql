-- Version 13: the changes the server rejected, for the office's review queue (code and reason as
-- the device was answered). One row per change (its Automerge hash; the SHA-256 of bytes that
-- are no change), so a device retrying a rejected change adds nothing; at most
-- `ingest::REJECTIONS_PER_DEVICE` rows a device. `kind` and `ward` are the stored record's when
-- the server holds it (the change itself is never trusted for them).
CREATE TABLE rejections (
    tenant      TEXT NOT NULL,
    hash        BLOB NOT NULL,
    record      TEXT NOT NULL,
    device      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT,
    ward        TEXT,
    code        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, hash)
) STRICT;
CREATE INDEX rejections_by_device ON rejections (tenant, device);
CREATE INDEX rejections_by_time ON rejections (tenant, rejected_at);
