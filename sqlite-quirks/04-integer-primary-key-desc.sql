-- note: `INTEGER PRIMARY KEY DESC` as a column constraint is NOT a rowid alias (a documented
-- SQLite quirk kept for compatibility), but `PRIMARY KEY (id DESC)` as a table constraint on an
-- INTEGER column IS one. kit must tell them apart: copy the hidden rowid for the first, and let
-- the key carry it for the second.
-- setup:
CREATE TABLE col_desc (id INTEGER PRIMARY KEY DESC, v TEXT);
INSERT INTO col_desc (rowid, id, v) VALUES (5, 1, 'a'), (6, 2, 'b');
CREATE TABLE tab_desc (id INTEGER, v TEXT, PRIMARY KEY (id DESC));
INSERT INTO tab_desc (id, v) VALUES (30, 'x'), (40, 'y');
-- change:
ALTER TABLE col_desc ALTER COLUMN v TYPE BLOB;
ALTER TABLE tab_desc ALTER COLUMN v TYPE BLOB;
-- expect-plan:
col_desc rebuild
tab_desc rebuild
-- expect: SELECT rowid, id, v FROM col_desc ORDER BY id
5|1|a
6|2|b
-- expect: SELECT rowid, id, v FROM tab_desc ORDER BY id
30|30|x
40|40|y
-- after:
INSERT INTO tab_desc (v) VALUES ('z');
-- expect: SELECT rowid, id FROM tab_desc WHERE v = 'z'
41|41
