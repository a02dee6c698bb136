-- note: DROP COLUMN of an unused column is native in SQLite >= 3.35 (no copy), also for the
-- last column of the table and for STRICT / WITHOUT ROWID tables. Rows, rowids and the other
-- columns stay; nothing is rebuilt.
-- setup:
CREATE TABLE plain (a TEXT, b INT, gone TEXT);
INSERT INTO plain (rowid, a, b, gone) VALUES (4, 'x', 1, 'g'), (9, 'y', 2, 'h');
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, gone ANY) STRICT, WITHOUT ROWID;
INSERT INTO kv VALUES ('a', 1, 'z');
-- change:
ALTER TABLE plain DROP COLUMN gone;
ALTER TABLE kv DROP COLUMN gone;
-- expect-plan:
plain native
kv native
-- expect: SELECT rowid, * FROM plain ORDER BY rowid
4|x|1
9|y|2
-- expect: SELECT * FROM kv
a|1
-- expect: SELECT name, strict, wr FROM pragma_table_list('kv')
kv|1|1
