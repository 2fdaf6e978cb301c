-- Version 12: what `wardbook-server digit push` sent to a town's DIGIT / UPYOG and what came
-- back, one row per attempt (append-only). A record with a `pushed` row is never posted again;
-- a `refused` one (DIGIT's Errors[].code and message kept) or a `failed` one (no answer from
-- DIGIT: the reason kept in `error_message`) may be pushed again later.
CREATE TABLE digit_pushes (
    attempt        TEXT PRIMARY KEY,               -- a random id of the attempt
    tenant         TEXT NOT NULL,
    kind           TEXT NOT NULL,                  -- payments
    record         TEXT NOT NULL,                  -- the record's id
    reference      TEXT NOT NULL,                  -- what a person calls it: the receipt number
    outcome        TEXT NOT NULL CHECK (outcome IN ('pushed', 'refused', 'failed')),
    error_code     TEXT,                           -- DIGIT's Errors[].code (codes joined by ", ")
    error_message  TEXT,                           -- DIGIT's Errors[].message, or why no answer
    response_id    TEXT,                           -- the id DIGIT gave the payment
    pushed_at      BIGINT NOT NULL                 -- unix milliseconds of the attempt
);
-- One accepted push per record at most: a second one would be a duplicate payment in DIGIT.
CREATE UNIQUE INDEX digit_pushes_once ON digit_pushes (tenant, kind, record) WHERE outcome = 'pushed';
CREATE INDEX digit_pushes_by_record ON digit_pushes (tenant, kind, record);

GRANT SELECT, INSERT ON digit_pushes TO wardbook_tenant;
ALTER TABLE digit_pushes ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_town ON digit_pushes TO wardbook_tenant
    USING (tenant = current_setting('wardbook.tenant', true))
    WITH CHECK (tenant = current_setting('wardbook.tenant', true));
