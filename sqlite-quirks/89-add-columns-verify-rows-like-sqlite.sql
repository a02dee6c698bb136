-- note: After it adds a column to a table that has a CHECK, is STRICT or gains a NOT NULL
-- generated column, SQLite's ADD COLUMN verifies every existing row (`pragma_quick_check`): in a
-- STRICT table a generated column whose value does not fit its type is refused. When kit writes
-- a run of ADD COLUMNs as one edit of the stored definition, it runs the same verification after
-- the edit, so the run is refused as the native statements would be, and nothing changes.
-- setup:
CREATE TABLE t (id INTEGER PRIMARY KEY, a INT) STRICT;
INSERT INTO t (id, a) VALUES (1, 10), (2, NULL);
-- change:
ALTER TABLE t ADD COLUMN b INT, ADD COLUMN c TEXT, ADD COLUMN d INT GENERATED ALWAYS AS ('x');
-- expect-plan:
t native
t edit
t edit
-- expect-error: fails on existing rows
-- expect-sql-unchanged: t
