-- The device whose changes alone make a record (NULL once another device's change is in it):
-- a device bootstrapping, or starting over after a restore, is not sent back what it wrote.
ALTER TABLE records ADD COLUMN only_device TEXT;

UPDATE records SET only_device = (
    SELECT MIN(c.device) FROM changes c
    WHERE c.tenant = records.tenant AND c.record = records.id
    HAVING COUNT(DISTINCT c.device) = 1
);

-- How many changes were appended to `doc` since it was last written out as a whole document
-- (`doc` may be a document followed by changes, or only changes).
ALTER TABLE records ADD COLUMN appended INTEGER NOT NULL DEFAULT 0;
