-- note: A WITHOUT ROWID table has no rowid to copy (reading `rowid` is an error) and stores rows
-- in its primary-key b-tree; its PRIMARY KEY columns are implicitly NOT NULL. The rebuild must
-- not touch rowid, and the new table must still be WITHOUT ROWID with the same key.
-- setup:
CREATE TABLE kv (ns TEXT, k TEXT, v INT, PRIMARY KEY (ns, k)) WITHOUT ROWID;
INSERT INTO kv VALUES ('a', 'x', 1), ('a', 'y', 2), ('b', 'x', 3);
-- change:
ALTER TABLE kv ALTER COLUMN v TYPE TEXT;
-- expect-plan:
kv rebuild
-- expect: SELECT strict, wr FROM pragma_table_list('kv')
0|1
-- expect: SELECT name, pk, "notnull" FROM pragma_table_info('kv') ORDER BY cid
ns|1|1
k|2|1
v|0|0
-- expect: SELECT ns, k, v, typeof(v) FROM kv ORDER BY ns, k
a|x|1|text
a|y|2|text
b|x|3|text
-- expect-statement-error: INSERT INTO kv VALUES ('a', NULL, 4)
NOT NULL constraint failed
