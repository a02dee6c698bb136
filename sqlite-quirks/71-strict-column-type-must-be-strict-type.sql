-- note: A STRICT table only allows the types INT, INTEGER, REAL, TEXT, BLOB and ANY. `ALTER COLUMN
-- ... TYPE VARCHAR(20)` on a STRICT table cannot be done by rebuild (CREATE TABLE fails with
-- "unknown datatype"); kit must refuse with that reason, naming the type, and change nothing.
-- setup:
CREATE TABLE s (id INTEGER PRIMARY KEY, name TEXT) STRICT;
INSERT INTO s VALUES (1, 'a');
-- change:
ALTER TABLE s ALTER COLUMN name TYPE VARCHAR(20);
-- expect-error: VARCHAR(20)
-- expect-error: datatype
