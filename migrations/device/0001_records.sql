-- Device store, version 1: field records as Automerge documents with materialized columns.
-- Append-only: never edit a shipped migration; add the next numbered file instead.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- One row per record. The document is `snapshot` followed by its rows in record_increments;
-- every other column is derived from the document and rewritten in the same transaction.
CREATE TABLE records (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    ward          TEXT,
    assignee      TEXT,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    amount_paise  INTEGER,
    needs_review  INTEGER NOT NULL DEFAULT 0,
    conflicts     INTEGER NOT NULL DEFAULT 0,
    title         TEXT NOT NULL,
    search_text   TEXT NOT NULL,
    snapshot      BLOB NOT NULL,
    increments_bytes INTEGER NOT NULL DEFAULT 0,
    heads         BLOB NOT NULL
) STRICT;

CREATE INDEX records_kind_ward_status ON records (kind, ward, status, updated_at);
CREATE INDEX records_kind_status ON records (kind, status, updated_at);
CREATE INDEX records_assignee ON records (assignee, status) WHERE assignee IS NOT NULL;
CREATE INDEX records_review ON records (needs_review) WHERE needs_review = 1 OR conflicts > 0;

CREATE TABLE record_increments (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    n         INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (record_id, n)
) STRICT;

-- Fields edited concurrently on several devices, for the supervisor's review list.
CREATE TABLE record_conflicts (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    field     TEXT NOT NULL,
    winner    TEXT NOT NULL,
    "values"  TEXT NOT NULL,
    PRIMARY KEY (record_id, field)
) STRICT;

-- Substring search over names, addresses and receipt numbers, in any script.
CREATE VIRTUAL TABLE records_fts USING fts5 (id UNINDEXED, search_text, tokenize = 'trigram');

-- Reference data of the town (wards, users, templates, fee heads, vehicles, plants) as JSON.
CREATE TABLE reference (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    body  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT;
