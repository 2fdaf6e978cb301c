-- Device store, version 6: the chain of custody of sludge.
-- - trip_volumes: a trip's vehicle, the IST day of its pickup and its two volumes, rewritten
--   with the trip's columns in the same transaction; the day's reconciliation per vehicle
--   reads it.
-- - countersigns: on the plant operator's device, every disposal it countersigned (the crew's
--   code it scanned and the code it showed back), kept whether or not the trip itself is on
--   this device yet.

CREATE TABLE trip_volumes (
    record_id        TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    vehicle          TEXT NOT NULL,
    day              TEXT,            -- IST yyyy-mm-dd of the pickup
    picked_litres    REAL,
    received_litres  REAL
) STRICT;
CREATE INDEX trip_volumes_day ON trip_volumes (day, vehicle);

CREATE TABLE countersigns (
    trip_id        TEXT PRIMARY KEY,
    handover_code  TEXT NOT NULL,
    countersign_code TEXT NOT NULL,
    received_litres REAL NOT NULL,
    at             INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;
