-- Sync server (SQLite), version 1. Every table is keyed by tenant first: no query can reach
-- another town's rows without naming it. Append-only: add the next numbered file instead.

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    reference  TEXT NOT NULL,            -- ReferenceData JSON without users
    next_seq   INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE users (
    tenant TEXT NOT NULL REFERENCES tenants (id),
    id     TEXT NOT NULL,
    name   TEXT NOT NULL,
    roles  TEXT NOT NULL,                -- JSON array of role names
    wards  TEXT NOT NULL,                -- JSON array of ward codes; empty: the whole town
    PRIMARY KEY (tenant, id)
) STRICT;

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         TEXT,
    code_hash    BLOB UNIQUE,            -- one-time enrollment code (SHA-256), cleared on use
    code_expires INTEGER,
    token_hash   BLOB UNIQUE,            -- bearer token (SHA-256), set at enrollment
    created_at   INTEGER NOT NULL,
    enrolled_at  INTEGER,
    revoked_at   INTEGER,
    last_seen_at INTEGER,
    FOREIGN KEY (tenant, user_id) REFERENCES users (tenant, id)
) STRICT;

-- The change log: seq is dense per tenant and assigned inside the writing transaction.
CREATE TABLE changes (
    tenant      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    record      TEXT NOT NULL,
    hash        BLOB NOT NULL,
    kind        TEXT NOT NULL,
    ward        TEXT,
    device      TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, seq),
    UNIQUE (tenant, record, hash)
) STRICT;

-- Changes whose dependencies have not arrived yet.
CREATE TABLE parked (
    tenant      TEXT NOT NULL,
    record      TEXT NOT NULL,
    hash        BLOB NOT NULL,
    device      TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, record, hash)
) STRICT;

-- Each record's merged document and the columns dashboards query.
CREATE TABLE records (
    tenant       TEXT NOT NULL,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    ward         TEXT,
    assignee     TEXT,
    title        TEXT NOT NULL,
    needs_review INTEGER NOT NULL,
    conflicts    INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    doc          BLOB NOT NULL,
    PRIMARY KEY (tenant, id)
) STRICT;

CREATE INDEX records_tenant_kind ON records (tenant, kind, ward, status);
