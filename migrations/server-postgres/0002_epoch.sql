-- Version 2: each town's log has an epoch; restoring a backup starts a new one
-- (`wardbook-server restored`), which tells devices to send their changes again.
ALTER TABLE tenants ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
