-- Version 10: the office console's sign-in, apart from device tokens. A login is a person at
-- the office: a town's supervisor or admin (tenant + user_id name the town's user, whose wards
-- scope what they see), or a read-only state official (state: the part of the town ids before
-- the dot, e.g. `pb`). Passwords are Argon2id PHC strings; failed sign-ins lock the login for a
-- delay that doubles with each further failure. Sessions are kept by the SHA-256 of their
-- token only, so any server instance on this database accepts them and a copy of the database
-- signs nobody in. Only server-wide (admin-scoped) transactions read these tables: the role
-- wardbook_tenant is granted nothing on them.
CREATE TABLE office_logins (
    login         TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('supervisor', 'admin', 'state')),
    tenant        TEXT,
    user_id       TEXT,
    state         TEXT,
    password_hash TEXT NOT NULL,
    failures      BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL,
    CHECK ((role = 'state') = (state IS NOT NULL AND tenant IS NULL AND user_id IS NULL)),
    CHECK (role = 'state' OR (tenant IS NOT NULL AND user_id IS NOT NULL)),
    FOREIGN KEY (tenant, user_id) REFERENCES users (tenant, id)
);

CREATE TABLE office_sessions (
    token_hash BYTEA PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES office_logins (login),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX office_sessions_login ON office_sessions (login);
