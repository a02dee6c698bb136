-- note: An added column's DEFAULT fills every existing row, so a CHECK on the new column is
-- really checked against the rows: `ADD COLUMN level INT DEFAULT 0 CHECK (level > 0)` on a
-- table with rows breaks it (SQLite's native ADD COLUMN fails with a bare "CHECK constraint
-- failed"; PostgreSQL: "check constraint ... is violated by some row"). kit must refuse before
-- writing, like any CHECK that existing rows break: the column, the count and example keys.
-- setup:
CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO players (name) VALUES ('a'), ('b');
-- change:
ALTER TABLE players ADD COLUMN level INT DEFAULT 0 CHECK (level > 0);
-- expect-error: players
-- expect-error: level
-- expect-error: 2 rows
-- expect-error: id=1, id=2
