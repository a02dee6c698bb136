-- note: `ADD COLUMN c ... NOT NULL` without a default cannot fill the existing rows. SQLite says
-- "Cannot add a NOT NULL column with default value NULL" even for an empty table; PostgreSQL
-- refuses only when the table has rows. kit follows PostgreSQL: refused here (rows), with the
-- count; allowed on the empty table in the next case.
-- setup:
CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO tickets (title) VALUES ('a'), ('b');
-- change:
ALTER TABLE tickets ADD COLUMN owner TEXT NOT NULL;
-- expect-error: tickets
-- expect-error: owner
-- expect-error: 2 rows
