-- note: An AUTOINCREMENT table emptied by deletes still has its `sqlite_sequence` row, and the
-- next id continues above it. Copying zero rows creates no sequence row, so kit must carry the
-- row over even when the table is empty. A table that never had a row has no sequence row, and
-- must not get one.
-- setup:
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, prio INT);
INSERT INTO jobs (name) VALUES ('a'), ('b'), ('c'), ('d'), ('e');
DELETE FROM jobs;
CREATE TABLE never (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, prio INT);
-- change:
ALTER TABLE jobs ALTER COLUMN prio TYPE TEXT;
ALTER TABLE never ALTER COLUMN prio TYPE TEXT;
-- expect-plan:
jobs rebuild
never rebuild
-- expect: SELECT name, seq FROM sqlite_sequence ORDER BY name
jobs|5
-- after:
INSERT INTO jobs (name) VALUES ('next');
INSERT INTO never (name) VALUES ('first');
-- expect: SELECT id, name FROM jobs
6|next
-- expect: SELECT id, name FROM never
1|first
