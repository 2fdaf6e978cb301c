-- Device store, version 2: where each record stands with the server.
-- sync_state: saved (only on this device), waiting (sent, not yet confirmed),
-- on_server (the server has every change), rejected (the server refused a change; kept here).

ALTER TABLE records ADD COLUMN sync_state TEXT NOT NULL DEFAULT 'saved';
ALTER TABLE records ADD COLUMN pushed_heads BLOB NOT NULL DEFAULT x'';
ALTER TABLE records ADD COLUMN sync_error TEXT;

CREATE INDEX records_outbox ON records (updated_at) WHERE sync_state IN ('saved', 'waiting');
