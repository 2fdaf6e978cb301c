-- Version 11: the office's web actors. A supervisor's decision in the office console (a workflow
-- step, a conflict settled) is an Automerge change like any device's, taken in by the same
-- ingest checks: it is written by the login's own web device (a row of `devices` with no token,
-- so it never syncs over HTTP, and the public half of its signing key) and Automerge actor.
-- The signing seed is kept here, read only by server-wide (admin-scoped) transactions.
CREATE TABLE office_actors (
    login   TEXT NOT NULL REFERENCES office_logins (login),
    tenant  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    device  TEXT NOT NULL REFERENCES devices (id),
    actor   BYTEA NOT NULL,               -- the Automerge actor id (16 random bytes)
    seed    BYTEA NOT NULL,               -- the ed25519 seed that signs the web device's steps
    PRIMARY KEY (login, tenant, user_id)
);
