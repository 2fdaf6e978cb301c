-- Device store, version 5: photos.
-- - photos: one row per photo, named by the SHA-256 of its upload copy (the downscaled JPEG
--   that is uploaded and that records name in their PhotoRef). The camera's own file is not
--   kept; its SHA-256 is, so adding the same file again finds the same photo.
--   uploaded_at is set when the server confirmed it holds the bytes under that hash.
-- - record_photos: which records name which photos, rewritten with a record's columns in the
--   same transaction, so "photo waiting" is one query per record or for the whole device.

CREATE TABLE photos (
    sha256          TEXT PRIMARY KEY,
    original_sha256 TEXT NOT NULL,
    taken_at        INTEGER,
    lat             REAL,
    lon             REAL,
    accuracy_m      REAL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    upload          BLOB NOT NULL,
    thumbnail       BLOB NOT NULL,
    added_at        INTEGER NOT NULL,
    uploaded_at     INTEGER
) STRICT;
CREATE INDEX photos_original ON photos (original_sha256);
CREATE INDEX photos_waiting ON photos (added_at) WHERE uploaded_at IS NULL;

CREATE TABLE record_photos (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    sha256    TEXT NOT NULL,
    PRIMARY KEY (record_id, sha256)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_photos_sha256 ON record_photos (sha256);
