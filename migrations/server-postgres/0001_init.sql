-- Sync server (PostgreSQL), version 1. The same tables as the SQLite backend, keyed by tenant
-- first, plus row-level security: inside a tenant-scoped transaction the server switches to
-- the role wardbook_tenant and sets wardbook.tenant, and no row of another town is visible or
-- writable, whatever the query says. Append-only: add the next numbered file instead.

CREATE TABLE tenants (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    reference TEXT NOT NULL,
    next_seq  BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE users (
    tenant TEXT NOT NULL REFERENCES tenants (id),
    id     TEXT NOT NULL,
    name   TEXT NOT NULL,
    roles  TEXT NOT NULL,
    wards  TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         TEXT,
    code_hash    BYTEA UNIQUE,
    code_expires BIGINT,
    token_hash   BYTEA UNIQUE,
    created_at   BIGINT NOT NULL,
    enrolled_at  BIGINT,
    revoked_at   BIGINT,
    last_seen_at BIGINT,
    FOREIGN KEY (tenant, user_id) REFERENCES users (tenant, id)
);

CREATE TABLE changes (
    tenant      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    record      TEXT NOT NULL,
    hash        BYTEA NOT NULL,
    kind        TEXT NOT NULL,
    ward        TEXT,
    device      TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, seq),
    UNIQUE (tenant, record, hash)
);

CREATE TABLE parked (
    tenant      TEXT NOT NULL,
    record      TEXT NOT NULL,
    hash        BYTEA NOT NULL,
    device      TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, record, hash)
);

CREATE TABLE records (
    tenant       TEXT NOT NULL,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    ward         TEXT,
    assignee     TEXT,
    title        TEXT NOT NULL,
    needs_review BOOLEAN NOT NULL,
    conflicts    BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    doc          BYTEA NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX records_tenant_kind ON records (tenant, kind, ward, status);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wardbook_tenant') THEN
        CREATE ROLE wardbook_tenant NOLOGIN;
    END IF;
END
$$;
GRANT wardbook_tenant TO CURRENT_USER;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, devices, changes, parked, records TO wardbook_tenant;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE parked ENABLE ROW LEVEL SECURITY;
ALTER TABLE records ENABLE ROW LEVEL SECURITY;

CREATE POLICY one_town ON tenants TO wardbook_tenant
    USING (id = current_setting('wardbook.tenant', true))
    WITH CHECK (id = current_setting('wardbook.tenant', true));
CREATE POLICY one_town ON users TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
CREATE POLICY one_town ON devices TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
CREATE POLICY one_town ON changes TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
CREATE POLICY one_town ON parked TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
CREATE POLICY one_town ON records TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
