-- note: `id INTEGER PRIMARY KEY DESC` written on the column is NOT a rowid alias (a documented
-- SQLite quirk), but `PRIMARY KEY (id DESC)` written as a table constraint IS one. Adding such a
-- key makes the column the rowid, which holds only integers: the values must be checked first
-- and the change refused with the rows, not fail halfway through the copy with "datatype
-- mismatch".
-- setup:
CREATE TABLE t (id INTEGER, m INT);
INSERT INTO t VALUES (-2.5, 1), (3, 2);
-- change:
ALTER TABLE t ADD PRIMARY KEY (id DESC);
-- expect-error: becomes the rowid
-- expect-error: 1 row
