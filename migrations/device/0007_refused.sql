-- Device store, version 7: which of a record's changes the server refused (32-byte change
-- hashes, concatenated), so a correction can leave them out and send the record again.

ALTER TABLE records ADD COLUMN refused_changes BLOB NOT NULL DEFAULT x'';
