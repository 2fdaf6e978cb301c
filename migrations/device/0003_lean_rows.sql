-- Device store, version 3: narrow list rows and a search index that saves can update cheaply.
-- - Document snapshots move to record_docs, so lists and sorts read ~300-byte rows.
-- - The search index stores no second copy of the text and is updated by its rowid, which
--   records keep in fts_rowid (deleting by an UNINDEXED column scanned the whole index).
-- - Lists of a kind in a ward come out of one index, newest first.

CREATE TABLE record_docs (
    id       TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    snapshot BLOB NOT NULL
) STRICT;
INSERT INTO record_docs (id, snapshot) SELECT id, snapshot FROM records;
ALTER TABLE records DROP COLUMN snapshot;

DROP TABLE records_fts;
CREATE VIRTUAL TABLE records_fts USING fts5 (search_text, content = '', contentless_delete = 1, tokenize = 'trigram');
ALTER TABLE records ADD COLUMN fts_rowid INTEGER;
UPDATE records SET fts_rowid = rowid;
INSERT INTO records_fts (rowid, search_text) SELECT fts_rowid, search_text FROM records;
CREATE UNIQUE INDEX records_fts_rowid ON records (fts_rowid);

DROP INDEX records_kind_ward_status;
CREATE INDEX records_kind_ward_updated ON records (kind, ward, updated_at DESC, id);
