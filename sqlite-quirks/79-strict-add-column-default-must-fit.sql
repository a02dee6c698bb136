-- note: In a STRICT table, ADD COLUMN with a DEFAULT fills every existing row with it, so a
-- default the column's type cannot hold (the text 'abc' for INTEGER) cannot work on a table with
-- rows. Through a rebuild SQLite stops mid-copy with "cannot store TEXT value in INTEGER
-- column"; kit checks the default first and refuses with the count. A default SQLite's STRICT
-- affinity converts ('12' for INTEGER) is fine.
-- setup:
CREATE TABLE u (id INTEGER PRIMARY KEY, c INTEGER) STRICT;
INSERT INTO u VALUES (1, NULL), (2, 5);
-- change:
ALTER TABLE u ADD COLUMN d INTEGER UNIQUE DEFAULT (lower('ABC'));
-- expect-error: STRICT INTEGER
-- expect-error: 2 rows
