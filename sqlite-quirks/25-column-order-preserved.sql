-- note: `SELECT *`, `INSERT INTO t VALUES (...)` without a column list and positional reads in
-- applications depend on column order. A rebuild that changes a middle column must keep it in
-- place (not move it to the end), and an added column goes last.
-- setup:
CREATE TABLE wide (a INT, b INT, c TEXT, d BLOB, e REAL);
INSERT INTO wide VALUES (1, 2, 'three', x'04', 5.5);
-- change:
ALTER TABLE wide ALTER COLUMN b TYPE TEXT, ALTER COLUMN d TYPE TEXT, ADD COLUMN f TEXT DEFAULT (upper('six'));
-- expect-plan:
wide rebuild
-- expect: SELECT cid, name, type FROM pragma_table_info('wide') ORDER BY cid
0|a|INT
1|b|TEXT
2|c|TEXT
3|d|TEXT
4|e|REAL
5|f|TEXT
-- expect: SELECT * FROM wide
1|2|three|X'04'|5.5|SIX
-- after:
INSERT INTO wide VALUES (10, 20, 'c', 'd', 1.0, 'f');
-- expect: SELECT a, b, typeof(b), f FROM wide ORDER BY a
1|2|text|SIX
10|20|text|f
