-- Device store, version 8: what a list line shows besides its title, kept on the record's row
-- so a list reads rows and never loads the records' documents: the place on the map
-- (`Record::map_place`), when the work was done (`work_at`), the note of the step that put it
-- in its status, and its first photo. `listed = 0` marks a row written before this version:
-- the store fills it from the document once, when it opens.

ALTER TABLE records ADD COLUMN lat REAL;
ALTER TABLE records ADD COLUMN lon REAL;
ALTER TABLE records ADD COLUMN accuracy_m REAL;
ALTER TABLE records ADD COLUMN work_at INTEGER;
ALTER TABLE records ADD COLUMN status_note TEXT;
ALTER TABLE records ADD COLUMN first_photo TEXT;
ALTER TABLE records ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
-- Finding the rows still to fill costs nothing once there are none.
CREATE INDEX records_unlisted ON records (id) WHERE listed = 0;
